"""Video-protection coverage: cameras as objects (:mod:`.cameras`), the share of facts and hot cells they cover
(:mod:`.shares`), where k new sites would cover most (:mod:`.extension`, a maximal-covering location problem) and
the CSU's own activity figures (:mod:`.csu`); :mod:`.service` composes them for the CLI and the API."""
