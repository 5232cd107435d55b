"""`python -m desktop_rag` and the frozen bundle's entry point."""

import multiprocessing

if __name__ == "__main__":
    # Before click reads argv: in a frozen bundle the parser child process re-runs this
    # executable with multiprocessing's own arguments, and must not start the CLI.
    multiprocessing.freeze_support()
    from desktop_rag.cli import main

    main()
