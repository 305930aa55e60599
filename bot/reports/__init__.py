"""A round's report as pictures: the numbers behind each chart (:mod:`.figures`) and the
charts themselves (:mod:`.charts`, matplotlib's Agg backend). Pure: plain data in, PNG
bytes out; no discord, no database, no clock."""
