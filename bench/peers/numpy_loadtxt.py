"""Peer: numpy.loadtxt of the whole file, then the mean squared error."""

import sys

import numpy as np

data = np.loadtxt(sys.argv[1], delimiter=",", skiprows=1)
print(np.mean((data[:, 1] - data[:, 0]) ** 2))
