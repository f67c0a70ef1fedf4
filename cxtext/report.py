"""report.html: one self-contained page in Japanese for the people who read the results.

Charts are drawn with matplotlib and embedded as inline SVG whose glyphs are paths
(svg.fonttype = "path"), with the IPAex Gothic font that ships in the matplotlib-fontja
package — so Japanese renders offline, on any machine, with no system font and no CDN.
Every text that comes from data (comments, segment values) is HTML-escaped and passes the
same spreadsheet-formula guard as the CSVs.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any

import numpy as np
import pandas as pd

from .drivers import wilson
from .outputs import neutralize_cell

TOP_THEMES = 8


def _matplotlib():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib_fontja  # noqa: F401  (registers IPAexGothic and selects it)

    matplotlib.rcParams.update({"svg.fonttype": "path", "svg.hashsalt": "cxtext", "axes.unicode_minus": False,
                                "figure.dpi": 100, "font.size": 10})
    return plt


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    _matplotlib().close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and DOCTYPE for inline use


def _text(value: Any) -> str:
    """HTML-escaped text. A text that a spreadsheet would run as a formula once copied from
    the page (=, +, -, @ …) gets an invisible zero-width space in front instead of the CSVs'
    apostrophe: pasted into Excel it stays text, and on the page it reads the same."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, str) and neutralize_cell(value) != value:
        value = "\u200b" + value
    return html.escape(str(value))


def nps_trend_chart(trends: pd.DataFrame) -> str | None:
    weekly = trends[(trends["period_type"] == "week") & (trends["theme"] == "")]
    if not len(weekly):
        return None
    plt = _matplotlib()
    fig, ax = plt.subplots(figsize=(8, 3))
    x = pd.to_datetime(weekly["period"])
    ax.fill_between(x, weekly["nps_ci_low"].astype(float), weekly["nps_ci_high"].astype(float), alpha=0.25,
                    color="#4c78a8", label="95%信頼区間")
    ax.plot(x, weekly["nps"].astype(float), marker="o", color="#4c78a8", label="NPS（週次）")
    ax.axhline(0, color="#999", linewidth=0.8)
    ax.set_ylabel("NPS")
    ax.set_title("NPSの推移（週の開始日）")
    ax.legend(loc="best", fontsize=8)
    ticks, labels = week_ticks(x)
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels)
    fig.autofmt_xdate()
    return _svg(fig)


def week_ticks(weeks: pd.Series, most: int = 12) -> tuple[list[pd.Timestamp], list[str]]:
    """Tick positions on week start dates (matplotlib's automatic date ticks fall between
    the weekly points and crowd each other), at most `most` of them, evenly spaced."""
    step = max(1, -(-len(weeks) // most))
    ticks = list(weeks.iloc[::step])
    return ticks, [t.strftime("%Y-%m-%d") for t in ticks]


def pareto_chart(drivers: pd.DataFrame, detractors: int) -> str | None:
    """Share of the `detractors` naming each theme negatively (Wilson 95% error bars) and the
    cumulative Shapley attribution, largest first."""
    rows = drivers[(drivers["scope"] == "overall") & (drivers["mention"] == "negative")].copy()
    rows = rows[rows["detractor_mentions"].astype(float) > 0]
    if not len(rows) or detractors <= 0:
        return None
    rows = rows.sort_values(["detractor_mentions", "theme"], ascending=[False, True]).head(TOP_THEMES)
    k = rows["detractor_mentions"].astype(int).to_numpy()
    n = int(detractors)
    share = k / n
    bounds = np.array([wilson(int(a), n) for a in k])
    plt = _matplotlib()
    fig, ax = plt.subplots(figsize=(8, 3.4))
    labels = rows["theme_name"].tolist()
    # Wilson bounds at 0% or 100% can miss the share by a rounding error, and matplotlib
    # rejects negative error bars: clip them.
    errors = np.clip([(share - bounds[:, 0]) * 100, (bounds[:, 1] - share) * 100], 0, None)
    ax.bar(labels, share * 100, color="#e45756", yerr=errors, capsize=3,
           label="批判者のうちこのテーマに否定的に言及した割合")
    ax.set_ylabel("批判者に占める割合 (%)")
    ax2 = ax.twinx()
    ax2.plot(labels, rows["shapley_share"].astype(float).cumsum() * 100, color="#333", marker="o",
             label="累積寄与（重複を按分）")
    ax2.set_ylim(0, 105)
    ax2.set_ylabel("累積寄与 (%)")
    ax.set_title("批判者の理由（パレート図、エラーバーは95%信頼区間）")
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], loc="upper right", fontsize=8)
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    return _svg(fig)


def heatmap_chart(drivers: pd.DataFrame) -> str | None:
    """nps_impact per theme × segment value (negative = the theme costs NPS there). Cells
    flagged low_support are left blank (grey): too few mentions to show a number."""
    rows = drivers[(drivers["scope"] == "segment") & (drivers["mention"] == "any")].copy()
    if not len(rows):
        return None
    rows.loc[rows["low_support"].astype(str).isin(["True", "true", "1"]), "nps_impact"] = np.nan
    rows["column"] = rows["segment"].astype(str) + "：" + rows["value"].astype(str)
    table = rows.pivot_table(index="theme_name", columns="column", values="nps_impact", aggfunc="first", sort=False)
    table = table.astype(float)
    plt = _matplotlib()
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * table.shape[1] + 2), 0.4 * table.shape[0] + 1.5))
    limit = max(float(np.nanmax(np.abs(table.to_numpy()))) if table.notna().any().any() else 1.0, 1.0)
    ax.set_facecolor("#dddddd")  # shows through the blank (low-support) cells
    image = ax.imshow(table.to_numpy(), cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(table.shape[1]), table.columns, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(table.shape[0]), table.index, fontsize=8)
    for (i, j), value in np.ndenumerate(table.to_numpy()):
        if not np.isnan(value):
            ax.text(j, i, f"{int(round(value))}", ha="center", va="center", fontsize=7)  # never "-0"
    fig.colorbar(image, ax=ax, label="nps_impact（ポイント）")
    ax.set_title("セグメント別のテーマの影響（nps_impact、赤いほどNPSを下げている。灰色は言及が少なく非表示）")
    return _svg(fig)


def embedded_font_css(page_text: str) -> str:
    """An @font-face with IPAex Gothic (from matplotlib-fontja) subset to the characters of
    the page, base64-embedded: the page's own Japanese text renders on machines without a
    Japanese system font, and the file stays small (tens of kB, not the font's 4 MB)."""
    import base64
    from pathlib import Path

    import matplotlib_fontja
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font_path = Path(matplotlib_fontja.__file__).parent / "fonts" / "ipaexg.ttf"
    font = TTFont(font_path, recalcTimestamp=False)  # else the bytes change every run
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(page_text))))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return ("@font-face { font-family: 'IPAexGothic-embedded'; "
            f"src: url(data:font/ttf;base64,{data}) format('truetype'); }}")


def _q_text(q: Any) -> str:
    """q-values are rounded to 6 decimals in the CSVs; a bare "0.0" would read as certainty."""
    if q is None or (isinstance(q, float) and np.isnan(q)):
        return ""
    return "<0.001" if float(q) < 0.001 else f"{float(q):.3f}"


def _table(frame: pd.DataFrame, columns: dict[str, str]) -> str:
    head = "".join(f"<th>{_text(label)}</th>" for label in columns.values())
    body = "".join("<tr>" + "".join(f"<td>{_text(row[c])}</td>" for c in columns) + "</tr>"
                   for _, row in frame.iterrows())
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_report(summary: dict, nps: pd.DataFrame, drivers: pd.DataFrame, trends: pd.DataFrame,
                  alerts: pd.DataFrame, verbatims: pd.DataFrame, drift: dict) -> str:
    overall = nps[nps["scope"] == "overall"].iloc[0] if len(nps) else None
    sections = []
    if overall is not None and overall["n"]:
        sections.append(
            f"<section><h2>NPS</h2><p class='big'>{_text(overall['nps'])}</p>"
            f"<p>95%信頼区間 {_text(overall['nps_ci_low'])} 〜 {_text(overall['nps_ci_high'])}　"
            f"（回答 {_text(overall['n'])} 件：推奨者 {_text(overall['promoters'])}、中立者 {_text(overall['passives'])}、"
            f"批判者 {_text(overall['detractors'])}）</p></section>")
    detractors = int(overall["detractors"]) if overall is not None else 0
    for title, chart in (("推移", nps_trend_chart(trends)), ("批判者の理由", pareto_chart(drivers, detractors)),
                         ("セグメント別", heatmap_chart(drivers))):
        if chart:
            sections.append(f"<section><h2>{title}</h2><figure>{chart}</figure></section>")
    top = drivers[(drivers["scope"] == "overall") & (drivers["mention"] == "negative") & drivers["rank"].notna()]
    if len(top):
        top = top.sort_values("rank").head(TOP_THEMES).assign(q_value=lambda f: f["q_value"].map(_q_text))
        sections.append("<section><h2>主な要因（否定的な言及）</h2>" + _table(top, {
            "rank": "順位", "theme_name": "テーマ", "mentions": "言及数", "detractor_share_with": "言及者の批判者率",
            "detractor_share_without": "非言及者の批判者率", "nps_impact": "nps_impact", "nps_impact_ci_low": "下限",
            "nps_impact_ci_high": "上限", "q_value": "q値"}) + "</section>")
    if len(alerts):
        alerts = alerts.assign(q_value=alerts["q_value"].map(_q_text))
        sections.append("<section><h2>アラート（直近7日で批判者の言及率が有意に上昇）</h2>" + _table(alerts, {
            "theme_name": "テーマ", "share_recent": "直近7日", "share_baseline": "その前28日", "difference": "差",
            "test": "検定", "q_value": "q値"}) + "</section>")
    else:
        sections.append("<section><h2>アラート</h2><p>直近7日に有意な上昇はありません。</p></section>")
    if len(verbatims):
        items = "".join(f"<li><b>{_text(r['theme_name'])}</b>（{_text(r['nps_score'])}点）{_text(r['comment'])}</li>"
                        for _, r in verbatims.iterrows())
        sections.append(f"<section><h2>代表的なコメント</h2><ul class='quotes'>{items}</ul></section>")
    if drift.get("warnings"):
        items = "".join(f"<li>{_text(w)}</li>" for w in drift["warnings"])
        sections.append(f"<section><h2>データの変化（モデルの再学習を検討）</h2><ul>{items}</ul></section>")
    model = summary.get("model") or {}
    model_label = f"{model.get('name', '')} {model.get('version', '')}" if isinstance(model, dict) else model
    meta = (f"モデル {_text(model_label)}　読み込み {_text(summary.get('rows_read', ''))} 行、"
            f"集計 {_text(summary.get('rows_scored', ''))} 行、除外 {_text(summary.get('rows_rejected', ''))} 行")
    body = f"<h1>NPSコメント分析レポート</h1>\n<p class=\"meta\">{meta}</p>\n{''.join(sections)}"
    visible = html.unescape(re.sub(r"<svg.*?</svg>|<[^>]+>", "", body, flags=re.S))
    font_css = embedded_font_css(visible + "0123456789.-%（）")
    return f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8"><title>cxtext レポート</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
{font_css}
body {{ font-family: 'IPAexGothic-embedded', sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.2em; border-bottom: 1px solid #ddd; }}
.big {{ font-size: 3em; margin: 0; color: #4c78a8; }}
table {{ border-collapse: collapse; font-size: 0.9em; }} td, th {{ border: 1px solid #ddd; padding: 4px 8px; }}
figure {{ margin: 0; }} figure svg {{ max-width: 100%; height: auto; }}
.quotes li {{ margin-bottom: 0.5em; }} .meta {{ color: #666; font-size: 0.85em; }}
</style></head><body>
{body}
</body></html>
"""
