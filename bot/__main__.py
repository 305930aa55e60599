"""``python -m bot`` is ``iln-bot``."""

from bot.cli.main import main

raise SystemExit(main())
