"""Interactive widgets for the notebooks (ipywidgets and matplotlib, imported lazily inside each module's functions).

One module per chapter that has a widget: ``attention`` (head inspector), ``inference`` (temperature slider),
``playground`` (train-and-watch dashboard).
"""
