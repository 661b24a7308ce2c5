"""Start DataLoader Explorer: ``python main.py`` opens the window, ``--headless`` runs without."""

import sys

from explorer.app import main

if __name__ == "__main__":
    sys.exit(main())
