"""The ILN partnership bot: runs the International Librarians Network's peer-mentoring rounds."""
