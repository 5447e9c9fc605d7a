/* SPDX-License-Identifier: BSD-3-Clause */
#include "internal.h"
