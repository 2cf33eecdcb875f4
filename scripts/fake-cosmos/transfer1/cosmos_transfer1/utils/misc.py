"""Fake cosmos_transfer1/utils/misc.py: extract_video_frames as upstream declares it."""

import os
import tempfile


def extract_video_frames(video_path, number_of_frames=2):
    if not os.path.isfile(video_path):
        return []
    frame_paths = []
    for i in range(number_of_frames):
        temp_path = os.path.join(tempfile.gettempdir(), f"frame_{i+1}.png")
        with open(temp_path, "wb") as handle:
            handle.write(b"fake png of " + video_path.encode())
        frame_paths.append(temp_path)
    return frame_paths
