"""Shared view code for the Streamlit pages: session and sign-in, cached loaders, sidebar filters, messages.

Pages in `pages/` stay thin: they read the filters from here, call the engine (`mapping/`) and render.
"""
