"""The retail data as one JSON document (`cerebro export` / `cerebro import`), and the bulk
loading it shares with the demo seeding."""
