"""Load benchmark (`make bench`): the gateway against bare Rasa, paced and saturated.

Not part of `make test`: it needs the real stack and minutes of machine time, and
its numbers are for reading as ratios on the machine that produced them.
"""
