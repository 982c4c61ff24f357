from plugboard.cli import main

raise SystemExit(main())
