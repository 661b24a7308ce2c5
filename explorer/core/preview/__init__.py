"""Any sample made visible: display arrays, thumbnails, statistics, batches split."""
