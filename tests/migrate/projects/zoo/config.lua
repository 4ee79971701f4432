config = {lr = 0.5, epochs = 2}
verbose = true
