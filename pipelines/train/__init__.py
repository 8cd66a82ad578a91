"""Training launchers: the WorldPlay trainer (wpmodel.train) on Ray Train (``ray_launcher``)."""
