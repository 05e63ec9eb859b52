"""`python -m zcreview` runs the CLI."""

from zcreview.cli import main

raise SystemExit(main())
