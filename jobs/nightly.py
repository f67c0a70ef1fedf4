"""Scheduled entry point for the nightly run. All logic lives in cxtext.run.run_nightly.

    python jobs/nightly.py --input /data/exports/ --out /data/cxtext/out [--config jobs/cxtext.toml]

Exit status: 0 run complete (rejected rows are normal), 1 the run could not complete
(one `Error: …` line on stderr), 2 usage error, 75 the output folder is locked by
another run, 130/143 interrupted/terminated. See jobs/README.md for cron and systemd.
"""

import sys
from pathlib import Path

from cxtext.cli import main

if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    args = sys.argv[1:]
    if "--config" not in args:
        args += ["--config", str(here / "cxtext.toml")]
    main(["run", *args])
