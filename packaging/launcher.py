"""Entry script of the PyInstaller bundle: the `desktop-rag` command, frozen."""

import multiprocessing

if __name__ == "__main__":
    # First thing: the parser runs in a spawned child, which in a frozen bundle re-runs this
    # executable with multiprocessing's arguments; freeze_support() turns it into that child.
    multiprocessing.freeze_support()
    from desktop_rag.cli import main

    main(prog_name="desktop-rag")
