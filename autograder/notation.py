"""The course's fixed names, written once: gate orders, gate names and the element-wise operation counts.

Standard library only: the checks (learner side), the references and the cases all read these.
"""

# PyTorch's (and the course's) order of the gate blocks in weight_ih, weight_hh and the biases.
LSTM_GATES = ("i", "f", "g", "o")
GRU_GATES = ("r", "z", "n")

# How a message names each LSTM gate (the course writes its pre-activation's symbol after the name).
LSTM_GATE_NAMES = {"i": "input gate I", "f": "forget gate F", "g": "candidate G", "o": "output gate O"}

# Element-wise FLOPs per (step, batch, hidden unit) after the matrix products, counting each +, -, * and each
# sigmoid or tanh on one number as 1, on the course's equations with one bias per gate:
#   RNN : 2 adds (recurrent part, bias) + tanh                                          = 3
#   GRU : r, z: 2 adds + sigmoid each (6); n: + b_hn, * R, + X-part, + b_xn, tanh (5);
#         H = N + Z * (H_prev - N): 3                                                   = 14
#   LSTM: i, f, g, o: 2 adds + activation each (12); C = F*C + I*G (3); tanh(C), O * tanh(C) (2) = 17
#   SRU : f, r: mul (v * c), 2 adds, sigmoid each (8); c = f*c + (1-f)*u (4); h = r*c + (1-r)*(alpha*x) (5) = 17
ELEMENTWISE_PER_UNIT = {"rnn": 3, "gru": 14, "lstm": 17, "sru": 17}
