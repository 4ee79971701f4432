return 3 + 4
