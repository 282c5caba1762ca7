"""Custom actions for the Rasa assistant (rasa-sdk); thin layers over bot's domain services."""
