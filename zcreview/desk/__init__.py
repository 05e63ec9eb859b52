"""The review desk: one reviewer's use case of reviewing, below the screens and without Textual.

Opening an application for review, walking the selection, deciding, drafting and validating a
return: each action is one committed transaction, so a decision is stored before a screen says
it is done.
"""
