"""Running losses over an input: the layer between the commands (cli/) and the inputs and
renderings they use (inputs/, render/).

A command reads its arguments, calls one function here and renders what it returns:
`losses.stream` is the one loop that reads a source batch by batch, evaluates each loss on
each batch (an error names the row and column), feeds the totals and tells the notices;
`losses.reduced`, `losses.per_example` and `losses.gradients` are the shapes of result the
commands want from it; a sweep's values are lanes of one pass, so the input is read once.
`compare` holds compare's entries and the rows of its table, `profile` recommend's profile of
a table, `outputs` the values of --multioutput. `context` holds what a pass tells the user.
"""
