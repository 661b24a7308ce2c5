"""The engine off the GUI thread: the QThread worker, the event relay, run statistics."""
