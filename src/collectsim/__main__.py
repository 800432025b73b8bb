"""``python -m collectsim`` runs the command line."""

from collectsim.cli import main

raise SystemExit(main())
