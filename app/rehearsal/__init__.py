"""The rehearsal: a whole event run against the Zoom emulator and local receivers on a scaled clock
(`rehearse`), the sandbox meeting's people (`meeting`) and its compact transcript (`transcript`).
"""
