def render(layouts, seed, name):
    raise NotImplementedError
