from jindu_cli.cli import main

main()
