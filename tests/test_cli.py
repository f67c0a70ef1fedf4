"""The CLI holds to its word: exact error lines, exit codes, help for every command."""

import pytest

from cxtext.cli import cli, main

from .conftest import FIXTURES


def run_cli(capsys, *args):
    with pytest.raises(SystemExit) as info:
        main(list(args))
    captured = capsys.readouterr()
    return info.value.code, captured.out, captured.err


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help(capsys, command):
    code, out, _ = run_cli(capsys, command, "--help")
    assert code == 0 and "Usage: cxtext " + command in out and len(cli.commands[command].help or "") > 20


def test_missing_input_file_is_one_error_line(capsys, tmp_path):
    code, _, err = run_cli(capsys, "run", "--input", str(tmp_path / "none.csv"), "--out", str(tmp_path / "o"))
    assert code == 1
    assert err.strip().splitlines()[-1] == f"Error: input file {tmp_path / 'none.csv'} does not exist"
    assert "Traceback" not in err


def test_broken_config_is_one_error_line(capsys, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[input]\nencodng = 'cp932'\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "run", "--input", "x.csv", "--out", str(tmp_path), "--config", str(cfg))
    assert code == 1 and err.startswith(f"Error: {cfg}: unknown key(s) in [input]: encodng")


def test_broken_model_folder_is_one_error_line(capsys, tmp_path):
    code, _, err = run_cli(capsys, "run", "--input", str(FIXTURES / "survey_small_sjis.csv"), "--config",
                           str(FIXTURES / "survey_small.toml"), "--out", str(tmp_path / "o"), "--model", str(tmp_path))
    assert code == 1 and err.strip().splitlines()[-1] == f"Error: {tmp_path} has no card.json; it is not a cxtext model folder"


def test_usage_error_exits_2(capsys):
    code, _, err = run_cli(capsys, "run")
    assert code == 2 and "Missing option '--input'" in err


def test_evaluate_json(capsys, tiny_model_dir):
    import json

    code, out, _ = run_cli(capsys, "evaluate", "--labels", str(FIXTURES / "labelled_small.csv"),
                           "--model", str(tiny_model_dir), "--json")
    result = json.loads(out)
    assert code == 0 and result["n"] == 71 and result["model"] == "tiny test"
    assert set(result) >= {"n", "model", "themes", "sentiment", "theme_sentiment"}
    assert set(result["themes"]) >= {"micro_f1", "macro_f1", "per_theme"}
    assert set(result["themes"]["per_theme"]["price"]) == {"precision", "recall", "f1", "support"}
    assert set(result["sentiment"]) >= {"accuracy", "macro_f1"} and "accuracy" in result["theme_sentiment"]
