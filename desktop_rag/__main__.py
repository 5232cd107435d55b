from desktop_rag.cli import main

main()
