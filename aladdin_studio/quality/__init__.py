"""Quality verification of generated clips (numpy/OpenCV, no Qt)."""
