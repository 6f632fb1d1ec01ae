"""Options shared by several commands, declared once (Typer `Annotated` aliases).

Nothing here imports NumPy or Polars: `losscli --help` must stay fast.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

import typer

from losscli.cli import names
from losscli.cli.candidates import column_names, loss_names, parameter_values
from losscli.cli.common import InputOptions


class OutputFormat(enum.StrEnum):
    auto = "auto"
    table = "table"
    plain = "plain"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"


class Color(enum.StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


class InputFormat(enum.StrEnum):
    csv = "csv"
    tsv = "tsv"
    parquet = "parquet"
    ndjson = "ndjson"
    jsonl = "jsonl"


class NanPolicy(enum.StrEnum):
    error = "error"
    skip = "skip"


class Reduction(enum.StrEnum):
    mean = "mean"
    sum = "sum"
    none = "none"


class ConventionName(enum.StrEnum):
    """The conventions of core/conventions/ (a test keeps the two lists equal)."""

    catalog = "catalog"
    torch = "torch"
    keras = "keras"
    sklearn = "sklearn"
    optax = "optax"
    hadsell = "hadsell"
    pml = "pml"


LossName = Annotated[
    str,
    typer.Argument(
        metavar="LOSS", help="Loss name or alias (losscli list).", autocompletion=loss_names
    ),
]

OUTPUT = "Output"
INPUT = "Input"
PARAMS = "Loss parameters"

Format = Annotated[
    OutputFormat,
    typer.Option(
        "-f",
        "--format",
        help="auto: a table on a terminal; piped, a bare number or TSV with a header.",
        rich_help_panel=OUTPUT,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Same as -f json.", rich_help_panel=OUTPUT)]
ColorOpt = Annotated[
    Color,
    typer.Option(
        "--color",
        help="Colour for human output (NO_COLOR and FORCE_COLOR honoured).",
        rich_help_panel=OUTPUT,
    ),
]

YTrue = Annotated[
    str | None,
    typer.Option(
        "--y-true",
        metavar="LIST",
        help="Targets, comma-separated; ';' separates rows: 2,0 or \"0.2,0.8;1,0\".",
        rich_help_panel=INPUT,
    ),
]
YPred = Annotated[
    str | None,
    typer.Option(
        "--y-pred",
        metavar="LIST",
        help="Predictions, comma-separated; ';' separates rows: \"0.1,0.2,0.7;0.3,0.3,0.4\".",
        rich_help_panel=INPUT,
    ),
]
Weights = Annotated[
    str | None,
    typer.Option(
        "--weights",
        metavar="LIST",
        help="Inline sample weights, one per example (weighted mean).",
        rich_help_panel=INPUT,
    ),
]
InputFormatOpt = Annotated[
    InputFormat | None,
    typer.Option(
        "--input-format",
        help="Table format when the extension does not say.",
        rich_help_panel=INPUT,
    ),
]
Delimiter = Annotated[
    str | None,
    typer.Option(
        "--delimiter",
        metavar="CHAR",
        help="Field separator of a CSV-like table.",
        rich_help_panel=INPUT,
    ),
]
Header = Annotated[
    bool | None,
    typer.Option(
        "--header/--no-header",
        help="Whether the first line of a CSV-like table is column names. Default: a header "
        "unless it looks like data (said on stderr); without one, columns are named 1..N.",
        show_default=False,
        rich_help_panel=INPUT,
    ),
]
Labels = Annotated[
    str | None,
    typer.Option(
        "--labels",
        metavar="LIST",
        help="Class labels written as text (cat,dog), in class order: the first is class 0. "
        "Default for a file or inline values: sorted order, as scikit-learn (said on stderr).",
        rich_help_panel=INPUT,
    ),
]
Target = Annotated[
    str | None,
    typer.Option(
        "-t",
        "--target",
        metavar="COLS",
        help="Target column(s): names, 1-based indices or globs ('p*'), comma-separated. "
        "Default: y_true, else the first column.",
        rich_help_panel=INPUT,
        autocompletion=column_names,
    ),
]
Pred = Annotated[
    str | None,
    typer.Option(
        "-p",
        "--pred",
        metavar="COLS",
        help="Prediction column(s), as for --target. Default: y_pred, else the rest.",
        rich_help_panel=INPUT,
        autocompletion=column_names,
    ),
]
WeightColumn = Annotated[
    str | None,
    typer.Option(
        "--weight",
        metavar="COL",
        help="Column of sample weights (weighted mean).",
        rich_help_panel=INPUT,
        autocompletion=column_names,
    ),
]
Nan = Annotated[
    NanPolicy,
    typer.Option(
        "--nan",
        help="error: stop at a missing or non-finite value; skip: drop the "
        "row and say how many were dropped.",
        rich_help_panel=INPUT,
    ),
]
NoProgress = Annotated[
    bool,
    typer.Option(
        "--no-progress", help="No progress bar on stderr for large files.", rich_help_panel=INPUT
    ),
]
Logits = Annotated[
    bool,
    typer.Option(
        "--logits",
        help="Predictions are raw scores: softmax/sigmoid is applied inside, stably.",
        rich_help_panel=INPUT,
    ),
]
LogProbs = Annotated[
    bool,
    typer.Option("--log-probs", help="Predictions are log-probabilities.", rich_help_panel=INPUT),
]
LogInput = Annotated[
    bool,
    typer.Option(
        "--log-input",
        help="Positive predictions are natural logs: a Poisson log-rate, a log-mean, a "
        "log-variance.",
        rich_help_panel=INPUT,
    ),
]
Normalize = Annotated[
    bool,
    typer.Option(
        "--normalize",
        help="Rescale probability rows to sum to 1 instead of rejecting them.",
        rich_help_panel=INPUT,
    ),
]

Convention = Annotated[
    ConventionName | None,
    typer.Option(
        "--convention",
        help="Compute as this framework does: catalog (exact, the default), torch, keras, "
        "sklearn, optax; for contrastive also hadsell, pml. An alias that names a framework's "
        "function (bce-with-logits, kl-div) computes as that framework. 'losscli show LOSS' "
        "lists the differences.",
        rich_help_panel=PARAMS,
    ),
]


# Settings of how rows are read and reduced, given with the parameters (issue 12); the core's
# make_request takes them out of the parameters (evaluation.REQUEST_SETTINGS).
IgnoreLabel = Annotated[
    float | None,
    typer.Option(
        "--ignore-label",
        metavar="K",
        help="Leave rows whose class label is K out of the value and the mean (PyTorch "
        "ignore_index, Keras ignore_class); said on stderr.",
        rich_help_panel=INPUT,
    ),
]
LogTarget = Annotated[
    bool | None,
    typer.Option(
        "--log-target",
        help="KL, JS, distribution cross-entropy: target rows are ln P (PyTorch log_target).",
        show_default=False,
        rich_help_panel=INPUT,
    ),
]


class MultiOutputName(enum.StrEnum):
    raw = "raw"
    uniform = "uniform"


MultiOutput = Annotated[
    MultiOutputName | None,
    typer.Option(
        "--multioutput",
        help="Regression with several outputs (target and prediction columns paired in order): "
        "raw, one value per output; uniform, their mean (scikit-learn multioutput).",
        rich_help_panel=INPUT,
    ),
]


class PrecisionName(enum.StrEnum):
    float64 = "float64"
    float32 = "float32"


Precision = Annotated[
    PrecisionName | None,
    typer.Option(
        "--precision",
        help="float32 computes each example as the frameworks do by default (default "
        "float64, exact).",
        rich_help_panel=PARAMS,
    ),
]


def space_from_flags(logits: bool, log_probs: bool, log_input: bool = False) -> str | None:
    from losscli.core.errors import UsageError

    given = [
        flag
        for flag, on in (
            ("--logits", logits),
            ("--log-probs", log_probs),
            ("--log-input", log_input),
        )
        if on
    ]
    if len(given) > 1:
        raise UsageError(f"{given[0]} and {given[1]} exclude each other")
    if log_input:
        return "log"
    return "logit" if logits else "logprob" if log_probs else None


@dataclass(frozen=True)
class LossParams:
    """The loss parameters and settings given on the command line, by name, as typed (an
    option not given is absent): `--delta 0.5,1,2` is "0.5,1,2" until each loss's record
    reads it (Loss.sweep), since what a list means is the loss's business."""

    given: dict[str, object] = field(default_factory=dict)

    def only(self, names: Collection[str]) -> dict[str, object]:
        """The values given to these names (a loss's parameters and settings)."""
        return {name: value for name, value in self.given.items() if name in names}


# Settings of how rows are read and reduced that travel with the parameters (the core's
# evaluation.REQUEST_SETTINGS): not parameters of one loss, so declared here, not generated.
SETTINGS: dict[str, Any] = {
    "ignore_label": IgnoreLabel,
    "log_target": LogTarget,
    "multioutput": MultiOutput,
    "precision": Precision,
}


def _parameter_option(name: str, kind: str, metavar: str, text: str) -> Any:
    """The Typer declaration of one loss parameter from its generated record (names.PARAMS)."""
    option = "--" + name.replace("_", "-")
    if kind == "flag":
        return Annotated[
            bool | None,
            typer.Option(option, help=text, show_default=False, rich_help_panel=PARAMS),
        ]
    return Annotated[
        str | None,
        typer.Option(
            option,
            metavar=metavar,
            help=text,
            rich_help_panel=PARAMS,
            autocompletion=parameter_values(option) if kind == "choice" else None,
        ),
    ]


Command = TypeVar("Command", bound=Callable[..., Any])


def loss_parameters(
    *, settings: Collection[str] = (), leave_out: Collection[str] = ()
) -> Callable[[Command], Command]:
    """Give a command one option per loss parameter of the registry (from the generated
    names.PARAMS, so a new parameter needs no edit here), and the `settings` named; the
    command receives what was given as one LossParams, in its parameter `params`.

        @loss_parameters(settings=("precision",))
        def compute(loss: LossName, ..., params: LossParams = NO_PARAMS, ...) -> None:
    """

    def options() -> dict[str, tuple[Any, Any]]:
        declared = {
            name: (_parameter_option(name, *record), None)
            for name, record in names.PARAMS.items()
            if name not in leave_out
        }
        return declared | {name: (SETTINGS[name], None) for name in settings}

    def build(given: dict[str, Any]) -> LossParams:
        return LossParams({name: value for name, value in given.items() if value is not None})

    def decorate(function: Command) -> Command:
        return _OptionGroup(function, "params", options, build)  # type: ignore[return-value]

    return decorate


def input_options(function: Command) -> Command:
    """Give a command the options that say where its data come from (inline lists, or a
    table's format, columns and missing values: INPUT_OPTIONS); the command receives them as
    one InputOptions, in its parameter `inputs`, without a FILE (the command's positional
    arguments name the file: `dataclasses.replace(inputs, file=...)`).

        @input_options
        def grad(loss: LossName, files: Files = None, inputs: InputOptions = NO_INPUTS, ...)
    """
    return _OptionGroup(function, "inputs", lambda: INPUT_OPTIONS, _inputs)  # type: ignore[return-value]


class _OptionGroup:
    """A command whose parameter `into` stands for a group of options. Typer reads the
    options from the signature, in that parameter's place; the command receives the one value
    `build` makes of what was given. The signature is made the first time it is asked for,
    so that a run makes only the invoked command's (the console script builds no other
    command). Groups stack: one decorator over another."""

    def __init__(
        self,
        function: Callable[..., Any],
        into: str,
        options: Callable[[], dict[str, tuple[Any, Any]]],
        build: Callable[[dict[str, Any]], Any],
    ) -> None:
        self.__wrapped__ = function
        self.__name__ = function.__name__
        self.__qualname__ = function.__qualname__
        self.__module__ = function.__module__
        self.__doc__ = function.__doc__
        self._into = into
        self._options = options  # name: (annotation, default)
        self._build = build
        self._made: Any = None

    @property
    def __signature__(self) -> Any:
        import inspect

        if self._made is None:
            signature = inspect.signature(self.__wrapped__, eval_str=True)
            if self._into not in signature.parameters:
                raise TypeError(f"{self.__name__} takes no `{self._into}` to hand the options to")
            options = self._options()
            keyword = inspect.Parameter.KEYWORD_ONLY
            parameters = []
            for parameter in signature.parameters.values():
                if parameter.name == self._into:
                    parameters += [
                        inspect.Parameter(name, keyword, default=default, annotation=annotation)
                        for name, (annotation, default) in options.items()
                    ]
                else:
                    parameters.append(parameter.replace(kind=keyword))
            self._made = (signature.replace(parameters=parameters), tuple(options))
        return self._made[0]

    @property
    def __annotations__(self) -> dict[str, Any]:  # type: ignore[override]
        return {p.name: p.annotation for p in self.__signature__.parameters.values()}

    def __call__(self, **arguments: Any) -> Any:
        self.__signature__  # noqa: B018 - made, so the option names are known
        given = {name: arguments.pop(name) for name in self._made[1]}
        return self.__wrapped__(**arguments, **{self._into: self._build(given)})


NO_PARAMS = LossParams()

# The options of input_options, in the order --help shows them: name, (declaration, default).
INPUT_OPTIONS: dict[str, tuple[Any, Any]] = {
    "y_true": (YTrue, None),
    "y_pred": (YPred, None),
    "weights": (Weights, None),
    "target": (Target, None),
    "pred": (Pred, None),
    "weight": (WeightColumn, None),
    "input_format": (InputFormatOpt, None),
    "delimiter": (Delimiter, None),
    "header": (Header, None),
    "labels": (Labels, None),
    "nan": (Nan, NanPolicy.error),
    "no_progress": (NoProgress, False),
}


def _inputs(given: dict[str, Any]) -> InputOptions:
    """InputOptions from the options of INPUT_OPTIONS as given (no FILE yet)."""
    return InputOptions(
        y_true=given["y_true"],
        y_pred=given["y_pred"],
        weights=given["weights"],
        target=given["target"],
        pred=given["pred"],
        weight=given["weight"],
        input_format=input_format(given["input_format"]),
        delimiter=given["delimiter"],
        header=given["header"],
        labels=given["labels"],
        nan=given["nan"].value,
        progress=not given["no_progress"],
    )


NO_INPUTS = InputOptions()


@dataclass(frozen=True)
class Output:
    """How a command writes its result: the format (-f; --json is json) and --color."""

    format: str = "auto"
    color: str = "auto"


# The options of output_options, in the order --help shows them.
OUTPUT_OPTIONS: dict[str, tuple[Any, Any]] = {
    "fmt": (Format, OutputFormat.auto),
    "json_flag": (Json, False),
    "color": (ColorOpt, Color.auto),
}


def output_options(function: Command) -> Command:
    """Give a command -f/--format, --json and --color; the command receives them as one
    Output, in its parameter `out`.

        @output_options
        def merge(states: ..., out: Output = NO_OUTPUT) -> None:
    """

    def build(given: dict[str, Any]) -> Output:
        return Output(output_format(given["fmt"], given["json_flag"]), given["color"].value)

    return _OptionGroup(function, "out", lambda: OUTPUT_OPTIONS, build)  # type: ignore[return-value]


NO_OUTPUT = Output()


def input_format(value: InputFormat | None) -> str | None:
    if value is None:
        return None
    return "ndjson" if value is InputFormat.jsonl else value.value


def output_format(fmt: OutputFormat, json_flag: bool) -> str:
    return "json" if json_flag else fmt.value


def check_number(
    option: str,
    value: float | None,
    low: float | None = None,
    high: float | None = None,
    *,
    infinite: bool = False,
) -> None:
    """Refuse a number option outside [low, high], NaN, or infinite (unless `infinite`),
    before the command does any work: a usage error naming the option and the value."""
    import math

    if value is None:
        return
    bounds = (
        f"between {low:g} and {high:g}"
        if low is not None and high is not None
        else f"at least {low:g}"
        if low is not None
        else f"at most {high:g}"
        if high is not None
        else "a number"
    )
    finite = math.isfinite(value) or (infinite and not math.isnan(value))
    if not finite or (low is not None and value < low) or (high is not None and value > high):
        from losscli.core.errors import UsageError

        raise UsageError(f"{option} must be {bounds}, not {value:g}")
