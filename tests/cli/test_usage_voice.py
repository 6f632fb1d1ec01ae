"""Issue 19, "messages in Click's plain voice, naming what to type": each mistake as the user
types it, refused with exit 2 and one line on stderr that says what to type instead."""

from __future__ import annotations

import pytest


def one_line(run, code: int = 2) -> str:
    assert run.exit_code == code, run.stderr
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("losscli: error: ")
    return lines[0].removeprefix("losscli: error: ")


# --- option values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # One number for --range: click took the next option as its second number.
        (("plot", "mse", "--range", "-3", "--width", "40"), "--range needs two numbers A B, not"),
        (("plot", "mse", "--range", "-3"), "--range needs two numbers A B, not -3"),
        (("plot", "mse", "--width", "40", "--range", "3"), "--range needs two numbers A B"),
        (("plot", "mse", "--range", "a", "3"), "--range needs two numbers A B, not a 3"),
        (
            ("compute", "huber", "--delta", "10%", "--y-true", "1", "--y-pred", "2"),
            "--delta: '10%' is not a number; write a percentage as a fraction: 0.1",
        ),
        (
            ("compute", "huber", "--delta", "--y-true", "1", "--y-pred", "2"),
            "--delta needs a number, not the option --y-true",
        ),
        (
            ("compute", "focal", "--gamma", "two", "--y-true", "1", "--y-pred", "0.3"),
            "--gamma: 'two' is not a number",
        ),
    ],
)
def test_a_number_option_says_what_to_type(cli, args, message) -> None:
    text = one_line(cli(*args))
    assert text.startswith(message), text
    assert "pydantic" not in text and "Input should be" not in text


def test_a_range_with_two_numbers_still_draws(cli) -> None:
    run = cli("plot", "mse", "--range", "-3", "3", "--width", "40", "--height", "12")
    assert run.exit_code == 0, run.stderr
    # The x axis is labelled from -3 to 3 (mse's curve is r^2 there: 9.0 at the top).
    axis = [line for line in run.lines() if line.strip().startswith("-3")]
    assert axis and axis[0].split()[-1] == "3", run.stdout
    assert "9.0" in run.stdout


# --- inline values -----------------------------------------------------------------------------


def test_numbers_separated_by_spaces_suggest_commas(cli) -> None:
    run = cli("compute", "cross-entropy", "--y-true", "2", "--y-pred", "0.1 0.2 0.7")
    text = one_line(run)
    assert text.endswith("separate numbers with commas: --y-pred 0.1,0.2,0.7"), text
    # ... and the suggestion is what computes: -ln 0.7.
    fixed = cli("compute", "cross-entropy", "--y-true", "2", "--y-pred", "0.1,0.2,0.7")
    assert fixed.exit_code == 0 and float(fixed.stdout) == pytest.approx(0.35667494393873245)


def test_a_percentage_suggests_its_fraction(cli) -> None:
    text = one_line(cli("compute", "mse", "--y-true", "1", "--y-pred", "10%"))
    assert text == (
        "--y-pred, value 1: '10%' is not a number; write a percentage as a fraction: 0.1, not 10%"
    )


def test_other_text_inline_is_still_bad_input(cli) -> None:
    # Not a spelling of a number: the data are wrong (exit 3, as docs/design.md says).
    assert one_line(cli("compute", "mse", "--y-true", "1", "--y-pred", "abc"), 3) == (
        "--y-pred, value 1: 'abc' is not a number"
    )


def test_a_percentage_in_a_table_names_its_cell_and_the_fraction(cli, tmp_path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("y_true,y_pred\n1,0.5\n1,12.5%\n")
    run = cli("compute", "mse", str(path))
    assert run.exit_code == 3
    assert (
        "row 2, column 'y_pred': '12.5%' is not a number; write a percentage as a fraction: 0.125"
    ) in run.stderr


# --- tables written with another separator -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("y;p\n1;2\n3;4\n", ("--delimiter", ";")),
        ("y\tp\n1\t2\n3\t4\n", ("--input-format", "tsv")),
        ("y|p\n1|2\n3|4\n", ("--delimiter", "|")),
    ],
)
def test_a_header_of_one_name_with_another_separator_names_the_option(
    cli, tmp_path, text, fix
) -> None:
    path = tmp_path / "table.csv"
    path.write_text(text)
    message = one_line(cli("compute", "mse", str(path)))
    option, value = fix
    typed = f"{option} {value}" if option == "--input-format" else f"{option} '{value}'"
    assert message.startswith("the table has one column, "), message
    assert message.endswith(f"read it with {typed}"), message
    piped = cli("compute", "mse", "-", input=text)
    if option == "--input-format":
        assert float(piped.stdout) == 1.0  # piped, a tab-separated first line is sniffed
    else:
        assert one_line(piped) == message
    # The option it names reads the table: (2-1)^2 and (4-3)^2.
    fixed = cli("compute", "mse", str(path), option, value)
    assert fixed.exit_code == 0, fixed.stderr
    assert float(fixed.stdout) == 1.0


def test_a_real_one_column_table_keeps_its_message(cli, tmp_path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("y\n1\n2\n")
    text = one_line(cli("compute", "mse", str(path)), 3)
    assert text.startswith("the table has 1 column (y); it needs a target"), text


# --- a binary loss given rows of class scores --------------------------------------------------


@pytest.mark.parametrize(
    ("args", "loss", "other"),
    [
        (("focal", "--y-true", "2", "--y-pred", "0.1,0.2,0.7"), "focal", "softmax-focal"),
        (("focal", "--y-true", "2,0", "--y-pred", "0.1,0.2,0.7;0.5,0.3,0.2"), "focal", None),
        (("bce", "--y-true", "2", "--y-pred", "0.1,0.2,0.7"), "binary-cross-entropy", None),
        (("hinge", "--y-true", "0,2", "--y-pred", "1,2,3;3,2,1"), "hinge", "multiclass-hinge"),
    ],
)
def test_a_binary_loss_on_class_rows_names_its_multiclass_form(cli, args, loss, other) -> None:
    other = other or {"focal": "softmax-focal", "binary-cross-entropy": "cross-entropy"}[loss]
    for command in ("compute", "grad"):
        text = one_line(cli(command, *args))
        assert text.startswith(f"{loss} is a binary loss"), text
        assert text.endswith(f"for 3 classes use {other}"), text
    fixed = cli("compute", other, *args[1:])
    assert fixed.exit_code == 0, fixed.stderr


def test_a_binary_loss_on_class_columns_of_a_table(cli, tmp_path) -> None:
    path = tmp_path / "classes.csv"
    path.write_text("y,p0,p1,p2\n2,0.1,0.2,0.7\n0,0.5,0.3,0.2\n")
    run = cli("compute", "focal", str(path), "-t", "y", "-p", "p*")
    assert one_line(run).endswith("for 3 classes use softmax-focal")
    # softmax-focal with gamma 0 is cross-entropy: (-ln 0.7 - ln 0.5) / 2.
    fixed = cli("compute", "softmax-focal", str(path), "-t", "y", "-p", "p*", "--gamma", "0")
    assert fixed.exit_code == 0, fixed.stderr
    assert float(fixed.stdout) == pytest.approx(0.5249110622493389, rel=1e-12)


def test_binary_rows_are_still_binary(cli) -> None:
    # Two examples with labels 1, 0 and one probability each: focal as before.
    run = cli("compute", "focal", "--y-true", "1,0", "--y-pred", "0.9,0.2")
    assert run.exit_code == 0, run.stderr


# --- files -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("compute", "mse", "{tmp}/missing.csv"),
        ("grad", "mse", "{tmp}/missing.csv"),
        ("compare", "mse", "mae", "{tmp}/missing.csv"),
        ("recommend", "{tmp}/missing.csv"),
        ("merge", "{tmp}/missing.csv"),
    ],
)
def test_a_missing_file_is_exit_2_naming_it(cli, tmp_path, args) -> None:
    text = one_line(cli(*(a.format(tmp=tmp_path) for a in args)))
    assert text == f"{tmp_path}/missing.csv: no such file"


def test_a_glob_that_matches_nothing_is_exit_2(cli, tmp_path) -> None:
    assert (
        one_line(cli("compute", "mse", f"{tmp_path}/*.csv")) == f"{tmp_path}/*.csv: no file matches"
    )


def test_compare_with_two_files_says_it_reads_one_table(cli, tmp_path) -> None:
    # Decision (issue 16 gave compare FILE...): several files are one table, rows one after
    # another; compare says so, for the user who meant two models' predictions.
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("y_true,y_pred\n1,2\n")
    b.write_text("y_true,y_pred\n3,3\n")
    run = cli("compare", "mse", "huber", str(a), str(b), "-f", "tsv")
    assert run.exit_code == 0, run.stderr
    assert f"compare takes one table: {a}, {b} are read as one, rows one after another" in (
        run.stderr
    )
    values = {row["loss"]: float(row["value"]) for row in run.tsv()}
    assert values == {"mse": 0.5, "huber": 0.25}  # residuals 1 and 0
