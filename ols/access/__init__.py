"""Who sees what: the audience of every output, and the people and sessions behind it.

Every reader of the observatory (maps, hot spots, zones, profiles, indicators, exports, reports)
takes an :class:`~ols.access.audience.Audience` and returns data already cut for it: the categories
it may see, its territories, its finest H3 resolution, its layers, and — for every role below the
police — small counts hidden and the others rounded by the cell-key method
(:mod:`ols.access.disclosure`), so that no sum, difference or rate of what a reader may ask for
gives back a hidden count. The rules live in :mod:`ols.access.roles`; no caller re-applies them.
This package imports nothing at load time so that the schema (``ols.store.models``) can use its roles.
"""
