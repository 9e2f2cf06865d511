"""Stage 3: the assistant (question -> cited answer) and its front ends (CLI, Gradio, Slack)."""
