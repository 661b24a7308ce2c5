"""Reading an image folder safely: listing, header scan, decoding with pixel and time limits."""
