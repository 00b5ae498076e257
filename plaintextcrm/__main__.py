"""Allow `python -m plaintextcrm`."""

from plaintextcrm.cli import main

if __name__ == "__main__":
    main()
