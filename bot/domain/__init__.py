"""Pure domain logic of the ILN bot: no Discord, no database, no clock."""
