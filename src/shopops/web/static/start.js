// Loaded last, after every page has registered itself.
Shop.start();
