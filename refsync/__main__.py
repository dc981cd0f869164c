from refsync.cli import main

main()
