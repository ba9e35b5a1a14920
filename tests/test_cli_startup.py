import subprocess
import sys


def test_importing_the_cli_loads_no_heavy_library():
    code = ("import sys, jindu_cli.cli\n"
            "heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('rich', 'sqlite_utils', 'dateutil', 'pypinyin', 'openpyxl', 'chinese_calendar', 'docxtpl', 'docx', 'jinja2', 'lxml')]\n"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_version_and_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "jindu_cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("jindu ")


def test_nothing_in_src_looks_like_a_test_to_pytest():
    from pathlib import Path

    import jindu_cli

    src = Path(jindu_cli.__file__).parent
    names = [p.name for p in src.rglob("*.py")]
    assert not [n for n in names if n.startswith("test_") or n.endswith("_test.py")]
    for path in src.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "\ndef test_" not in text and "\nclass Test" not in text, path
