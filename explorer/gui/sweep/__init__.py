"""Find settings: the sweep dialog, the controller running its points, the plot and its tab."""
