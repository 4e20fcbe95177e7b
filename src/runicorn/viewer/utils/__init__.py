"""Helpers of the viewer: the metric cache, downsampling and path handling."""
