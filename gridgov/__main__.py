from gridgov.cli import main

raise SystemExit(main())
