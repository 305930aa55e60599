pytest_plugins = ["tests.emulator.plugin"]
