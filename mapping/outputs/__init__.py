"""Outputs: what people take away or look at: the screen map, the PDF snapshot, spreadsheets.

Owns the folium map (`maps`), the colour scale shared by every output (`palette`), the PDF (`report`,
`report_maps`, `report_tables`, `fonts`) and the xlsx/CSV/GeoJSON exports with their injection guard (`export`).
"""

__all__ = ["export", "fonts", "maps", "palette", "report", "report_maps", "report_tables"]
