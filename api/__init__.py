"""HTTP API of OLS (FastAPI): thin routers over the ``ols`` library, built in the API issue."""
