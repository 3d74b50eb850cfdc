"""README's two commands stay true: the extraction it shows works, CI runs the test command it shows."""

import re
import shlex
import subprocess
import sys

from conftest import REPO


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    head = text.split("---", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", head, re.S)


def test_readme_starts_with_setup_and_test_commands():
    setup, tests = readme_commands()
    assert setup.startswith("bash scripts/setup.sh && .venv/bin/gaiml extract ")
    assert tests == ".venv/bin/python -m pytest -q"


def test_readme_extract_command_runs_on_a_real_report():
    setup, _ = readme_commands()
    args = shlex.split(setup.split("&&", 1)[1])
    assert args[0] == ".venv/bin/gaiml"
    done = subprocess.run([sys.executable, "-m", "gaiml", *args[1:]], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert '"t2.procurement.amount"' in done.stdout


def test_readme_ci_runs_the_readme_test_command():
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/setup.sh" in script
    extract = re.search(r"test_command=\$\((.+)\)", script).group(1)
    done = subprocess.run(["bash", "-c", extract], cwd=REPO, capture_output=True, text=True)
    assert done.stdout.strip() == readme_commands()[1]


def test_readme_extract_command_on_a_terminal_reads_at_a_glance():
    """The first command a person runs prints a summary they can read, not 24 KB of JSON."""
    from test_newcomer import run_on_terminal

    setup, _ = readme_commands()
    args = shlex.split(setup.split("&&", 1)[1])
    code, out, err = run_on_terminal(*args[1:])
    assert code == 0, err
    assert "status:   verified" in out and "表三 收到和处理政府信息公开申请情况" in out
    assert "{" not in out and len(out) < 8000
    assert "loading the auto engine" in err and "engine loaded in" in err
