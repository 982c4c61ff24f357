"""One module per `plugboard` sub-command group. Each registers its argparse parser cheaply and imports its
heavy work lazily, so `plugboard run` and `plugboard proxy` start without loading Qt."""
