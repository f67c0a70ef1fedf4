"""A small hand-written polarity lexicon over UniDic lemmas (the form JapaneseTokenizer emits).

Why: the labelled data can only show so many ways of saying 良い or 最悪; the lexicon lets the
sentiment models weigh a polar word never seen in training by what all polar words do, and
flip it when negated (悪くない is positive, 満足できない negative). Entries are lemmas as
UniDic writes them (有り難い, 分かる, 為る); check new entries with JapaneseTokenizer.
"""

from __future__ import annotations

POSITIVE = frozenset("""
良い 最高 満足 大満足 便利 丁寧 親切 快適 助かる 有り難い 有り難う 感謝 安心 素晴らしい 美味しい 綺麗
速い 楽 易い 優しい 嬉しい 楽しい 好き 満点 神 完璧 感動 信頼 スムーズ 好印象 充実 豊富 お得 手頃
リーズナブル 素敵 心地良い 気に入る 勧める 絶品 最適 的確 迅速 親身 清潔 爽やか 感じ 良好 見事 上手
お勧め 素早い 頼もしい 気持ち良い 安い 格安 激安 丁度 ぴったり 十分 期待以上 一番 流石 満喫 ナイス 優秀
助け 重宝 安定 新鮮 柔らかい 温かい 気軽 リピート 嬉しさ 満たす 納得 好き 推す 👍 😊 😄 🙏 ♪ ❤ ✨ 🙆 ◎
喜ぶ 面白い 愛用 頼り 感心 便利さ 使い易い 美しい 可愛い 格好良い 高品質 高性能 丈夫 長持ち 軽い 静か
大好き 絶賛 最良 期待通り 期待以上 幸せ 癒す 癒し 快い 好評 評判 魅力 抜群 秀逸 優れる
""".split())

NEGATIVE = frozenset("""
悪い 最悪 不満 不便 遅い 高い 残念 がっかり 酷い 面倒 不快 失礼 横柄 無愛想 汚い 不親切 難い 困る
怒る 呆れる 二度と 腹立つ 不安 不信 問題 不具合 故障 壊れる 待たす 迷惑 最低 ストレス 微妙 今一
期待外れ 損 割高 不十分 不足 不愉快 遅延 遅れる 不誠実 いい加減 雑 放置 たらい回し 酷 うんざり
高額 無駄 ひどい 不要 悲しい 嫌 苦痛 イライラ 厳しい 疑問 不審 不明 分かり難い 煩わしい 煩い 鬱陶しい
しつこい 頭 ムカつく 解約 二重 誤り 間違い 間違える 足りる 欠ける 冷たい 高圧 上から目線 態度 クレーム
改善 欲しい 辛い 狭い 古い 臭い 寒い 暑い まずい 不味い 落ちる 切れる 途切れる 固まる 重い 不通
退屈 苦労 後悔 返品 がっかり 割れる 漏れる 剥がれる 錆びる 外れる 詰まる 安っぽい チープ 劣化 劣る 無駄
怪しい 詐欺 騙す 不良 欠陥 粗悪 粗末 文句 手放す 期待以下 失敗 失望 嘘 誤魔化す 不正確
面倒臭い 煩雑 分かり辛い 辛い 疲れる 痛い 汚れ 傷 凹み 壊れ 故障中 停止 止まる 消える 嫌い 怖い 危ない
😡 💢 😠 😤 😞 😢 😭 💦 😩 🤬 👎 ×
""".split())

# Words that are polar because of what they negate: できない, 届かない, つながらない.
NEGATED_IS_NEGATIVE = frozenset("出来る 繋がる 届く 来る 分かる 使える 直る 解決 対応 連絡 返信 返事 説明 使う 有る 入る 足りる 動く 付く 開く 効く".split())
