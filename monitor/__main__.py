from monitor.cli import main

if __name__ == "__main__":  # not when a parser process (spawn) imports it
    main()
