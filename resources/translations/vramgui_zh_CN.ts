<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>About</name>
    <message>
        <source>Qt {qt} and PySide6 {pyside}</source>
        <translation>Qt {qt} 与 PySide6 {pyside}</translation>
    </message>
    <message>
        <source>Will this LLM run on this GPU, and how fast? An offline planner; it never uses the network.</source>
        <translation>这个大模型能在这块 GPU 上跑起来吗？能跑多快？这是一个离线规划工具，从不联网。</translation>
    </message>
    <message>
        <source>Bundled components and their licenses:</source>
        <translation>随附组件及其许可证：</translation>
    </message>
    <message>
        <source>Preset figures come from model cards, config.json files and vendor datasheets; each preset names its source.</source>
        <translation>预设中的数据来自模型卡、config.json 文件和厂商数据手册；每个预设都注明了出处。</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>Skipped {n} broken preset(s): {problems}</source>
        <translation>已跳过 {n} 个损坏的预设：{problems}</translation>
    </message>
    <message>
        <source>Last session: {notes}</source>
        <translation>上次会话：{notes}</translation>
    </message>
</context>
<context>
    <name>BreakdownStrip</name>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>KV cache</source>
        <translation>KV 缓存</translation>
    </message>
    <message>
        <source>Activations</source>
        <translation>激活</translation>
    </message>
    <message>
        <source>Overhead</source>
        <translation>运行时开销</translation>
    </message>
    <message>
        <source>First token</source>
        <translation>首字延迟</translation>
    </message>
    <message>
        <source>Total / usable</source>
        <translation>总计 / 可用</translation>
    </message>
    <message>
        <source>{used} / {usable} GiB</source>
        <translation>{used} / {usable} GiB</translation>
    </message>
    <message>
        <source>Decode</source>
        <translation>解码</translation>
    </message>
    <message>
        <source>{ms} ms · {rate} tok/s</source>
        <translation>{ms} ms · {rate} tok/s</translation>
    </message>
    <message>
        <source>{ms} ms · {rate}/s</source>
        <translation>{ms} ms · {rate}/s</translation>
    </message>
    <message>
        <source>{ms} ms</source>
        <translation>{ms} ms</translation>
    </message>
    <message>
        <source>With the System RAM, prompts of up to {n} tokens fit (a context of {ctx}).</source>
        <translation>加上系统内存，最长可放下 {n} 个 token 的提示词（上下文 {ctx}）。</translation>
    </message>
    <message>
        <source>Needs {needed} GiB of {usable} GiB usable per card; headroom {headroom} GiB</source>
        <translation>每卡需要 {needed} GiB，可用 {usable} GiB；余量 {headroom} GiB</translation>
    </message>
    <message>
        <source>{plan}: {devices}; about {rate} tokens/s</source>
        <translation>{plan}：{devices}；约 {rate} tokens/s</translation>
    </message>
    <message>
        <source>{device} {used} of {usable} GiB</source>
        <translation>{device} 已用 {used} / {usable} GiB</translation>
    </message>
    <message>
        <source>llama.cpp&apos;s -ngl for this split: {ngl}</source>
        <translation>此划分对应的 llama.cpp -ngl：{ngl}</translation>
    </message>
    <message>
        <source>llama.cpp&apos;s flags for this split: -ngl {ngl} --n-cpu-moe {n}</source>
        <translation>此划分对应的 llama.cpp 参数：-ngl {ngl} --n-cpu-moe {n}</translation>
    </message>
    <message>
        <source>HF transformers places the weights so with {flag}</source>
        <translation>HF transformers 用 {flag} 即按此方式放置权重</translation>
    </message>
    <message>
        <source>First token about {time}: the prompt&apos;s passes read {gb} GB of the part in RAM over the card&apos;s link (at an assumed {share} of its {link} GB/s).</source>
        <translation>首个词元约 {time}：提示词的各次前向经显卡链路读取内存部分共 {gb} GB（按假定的 {link} GB/s 链路的 {share}）。</translation>
    </message>
    <message>
        <source>{n} cards of a tensor-parallel group do not split this model&apos;s attention heads evenly: vLLM and SGLang refuse to start (the figures are as if it ran; the caution under the card count says which counts do)</source>
        <translation>张量并行组的 {n} 张卡无法均分此模型的注意力头：vLLM 和 SGLang 会拒绝启动（所示数字按其能运行估算；卡数下方的提示列出可用的卡数）</translation>
    </message>
    <message>
        <source>Prompt + output, {n} tokens, run past the model&apos;s context of {limit}: {engine} refuses such a request (the figures are as if it ran).</source>
        <translation>提示词 + 输出共 {n} 个词元，超出模型的上下文长度 {limit}：{engine} 会拒绝这样的请求（图中数字按其能运行估算）。</translation>
    </message>
    <message>
        <source>Prompt + output, {n} tokens, run past the model&apos;s context of {limit}: it was not trained on positions past it (the figures are as if it ran).</source>
        <translation>提示词 + 输出共 {n} 个词元，超出模型的上下文长度 {limit}：模型未在超出的位置上训练过（图中数字按其能运行估算）。</translation>
    </message>
    <message>
        <source>{ms} ms a step as the offload plans it ({plan}): every layer runs on the card.</source>
        <translation>按卸载方案每步 {ms} ms（{plan}）：每一层都在显卡上运行。</translation>
    </message>
    <message>
        <source>About {time} as the offload plans it ({plan}): the prompt&apos;s passes read {gb} GB of the part in RAM over the card&apos;s link (at an assumed {share} of its {link} GB/s).</source>
        <translation>按卸载方案约 {time}（{plan}）：提示词的各次前向经显卡链路读取内存部分共 {gb} GB（按假定的 {link} GB/s 链路的 {share}）。</translation>
    </message>
    <message>
        <source>Each decode step reads {step} GiB of the {gib} GiB of routed experts a card keeps in RAM over its link, where they stay: those its tokens use, {ms} ms at an assumed {share} of its {link} GB/s.</source>
        <translation>每个解码步经链路就地读取每卡留在内存中的 {gib} GiB 路由专家中的 {step} GiB：其词元用到的专家，按假定的 {link} GB/s 链路的 {share} 需 {ms} ms。</translation>
    </message>
    <message>
        <source>Each decode step reads {step} GiB of the {gib} GiB of weights a card keeps in RAM over its link, where they stay: the routed experts its tokens use and the layers&apos; other weights, {ms} ms at an assumed {share} of its {link} GB/s.</source>
        <translation>每个解码步经链路就地读取每卡留在内存中的 {gib} GiB 权重中的 {step} GiB：其词元用到的路由专家及各层的其余权重，按假定的 {link} GB/s 链路的 {share} 需 {ms} ms。</translation>
    </message>
    <message>
        <source>Each decode step copies the {gib} GiB of weights the cards keep in RAM ({each} GiB each) to the first card, which runs every layer kept there: {ms} ms at an assumed {share} of its {link} GB/s link.</source>
        <translation>每个解码步把各卡留在内存中的共 {gib} GiB 权重（每卡 {each} GiB）复制到第一张卡上，由它运行留在内存中的所有层：按假定的链路 {link} GB/s 的 {share} 计，需 {ms} 毫秒。</translation>
    </message>
    <message>
        <source>Each decode step reads the {gib} GiB of weights a card keeps in RAM over its link, where they stay: {ms} ms at an assumed {share} of its {link} GB/s.</source>
        <translation>每个解码步经链路就地读取每卡留在内存中的 {gib} GiB 权重：按假定的 {link} GB/s 链路的 {share} 需 {ms} ms。</translation>
    </message>
    <message>
        <source>Each decode step copies the {gib} GiB of weights a card keeps in RAM to it: {ms} ms at an assumed {share} of its {link} GB/s link.</source>
        <translation>每个解码步把每卡留在内存中的 {gib} GiB 权重复制到卡上：按假定的链路 {link} GB/s 的 {share} 计，需 {ms} 毫秒。</translation>
    </message>
    <message>
        <source>First token about {time}: the prompt&apos;s passes copy {gb} GB of the part in RAM to the card (at an assumed {share} of its {link} GB/s link).</source>
        <translation>首个 token 约 {time}：处理提示词的各轮会把内存中那部分共 {gb} GB 复制到显卡（按其 {link} GB/s 链路的 {share} 估算）。</translation>
    </message>
    <message>
        <source>The first card&apos;s compute buffer holds {mib} MiB more: a prompt&apos;s pass copies tensors of the part in RAM there.</source>
        <translation>第一张显卡的计算缓冲区多占 {mib} MiB：处理提示词时会把内存中那部分的张量复制到卡上。</translation>
    </message>
    <message>
        <source>The chosen engine does not run on this GPU as modelled: the figures time it as it runs on Apple chips</source>
        <translation>所选引擎在此 GPU 上的运行未被建模：这些数字按它在 Apple 芯片上的运行来估算</translation>
    </message>
    <message>
        <source>The chosen engine does not run on this GPU: the figures time it as it runs on NVIDIA and AMD cards</source>
        <translation>所选引擎不能在此 GPU 上运行：这些数字按它在 NVIDIA 和 AMD 显卡上的运行来估算</translation>
    </message>
    <message>
        <source>{ms} ms a step as the offload plans it ({plan}): at {n} sequences llama.cpp runs the part in RAM on the card, copying its {gb} GB there every step (at an assumed {share} of its {link} GB/s link).</source>
        <translation>按卸载方案（{plan}）每步 {ms} ms：{n} 条序列时 llama.cpp 在显卡上运行内存中的那部分，每步都把其 {gb} GB 复制到显卡（按其 {link} GB/s 链路的 {share} 估算）。</translation>
    </message>
    <message>
        <source>{ms} ms a step as the offload plans it ({plan}): the layers on the card read at its bandwidth and the rest at system RAM&apos;s, in turn.</source>
        <translation>按卸载方案（{plan}）每步 {ms} ms：显卡上的层按显卡带宽读取，其余按系统内存带宽读取，依次进行。</translation>
    </message>
    <message>
        <source>Each of the {n} layers whose experts the CPU runs adds {hand} ms, handing its activations to the CPU and back.</source>
        <translation>专家由 CPU 运行的 {n} 层，每层另加 {hand} ms，用于把激活值交给 CPU 再传回。</translation>
    </message>
    <message>
        <source>The CPU&apos;s arithmetic for the {n} sequences past the first adds {ms} ms (at an assumed {tflops} TFLOP/s, from the RAM&apos;s bandwidth).</source>
        <translation>第一个序列之外的 {n} 个序列，其 CPU 运算另加 {ms} ms（CPU 速率按系统内存带宽假定为 {tflops} TFLOP/s）。</translation>
    </message>
    <message>
        <source>About {time} as the offload plans it ({plan}): the CPU runs the prompt&apos;s passes on the part in RAM, {cpu} of it at an assumed {tflops} TFLOP/s (no pass is copied to the card: under 32 tokens, unified memory, or builds before op offload).</source>
        <translation>按卸载方案（{plan}）约 {time}：处理提示词的各轮中，内存中那部分由 CPU 运行，占其中 {cpu}，CPU 速率假定为 {tflops} TFLOP/s（没有一轮复制到显卡：不足 32 个 token、统一内存，或尚无 op offload 的版本）。</translation>
    </message>
    <message>
        <source>With every layer on the card, as below: {gpu_ms} ms.</source>
        <translation>所有层都在显卡上时（如下）：{gpu_ms} ms。</translation>
    </message>
    <message>
        <source>About {time} as the offload plans it ({plan}): the prompt&apos;s passes copy {gb} GB of the part in RAM to the card (at an assumed {share} of its {link} GB/s link).</source>
        <translation>按卸载方案（{plan}）约 {time}：处理提示词的各轮会把内存中那部分共 {gb} GB 复制到显卡（按其 {link} GB/s 链路的 {share} 估算）。</translation>
    </message>
    <message>
        <source>As the offload plans it ({plan}): {time}.</source>
        <translation>按卸载方案（{plan}）：{time}。</translation>
    </message>
    <message>
        <source>With every layer on the card, as below: {time}.</source>
        <translation>所有层都在显卡上时（如下）：{time}。</translation>
    </message>
    <message>
        <source>Gradients</source>
        <translation>梯度</translation>
    </message>
    <message>
        <source>Optimizer</source>
        <translation>优化器状态</translation>
    </message>
    <message>
        <source>Total / card</source>
        <translation>总计 / 每卡</translation>
    </message>
    <message>
        <source>Trainable</source>
        <translation>可训练参数</translation>
    </message>
    <message>
        <source>{trainable} M of {total} B</source>
        <translation>{trainable} M / 共 {total} B</translation>
    </message>
    <message>
        <source>{trainable} M / {total} B</source>
        <translation>{trainable} M / {total} B</translation>
    </message>
    <message>
        <source>{trainable} M</source>
        <translation>{trainable} M</translation>
    </message>
    <message>
        <source>Needs {needed} GiB of {usable} GiB per card</source>
        <translation>每卡需要 {needed} GiB，共 {usable} GiB</translation>
    </message>
</context>
<context>
    <name>Charts</name>
    <message>
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>KV cache</source>
        <translation>KV 缓存</translation>
    </message>
    <message>
        <source>Activations</source>
        <translation>激活</translation>
    </message>
    <message>
        <source>Overhead</source>
        <translation>运行时开销</translation>
    </message>
    <message>
        <source>Gradients</source>
        <translation>梯度</translation>
    </message>
    <message>
        <source>Optimizer states</source>
        <translation>优化器状态</translation>
    </message>
    <message>
        <source>pin {i}: {model} · {weights} · {n}×{gpu}</source>
        <translation>固定 {i}：{model} · {weights} · {n}×{gpu}</translation>
    </message>
    <message>
        <source>measured {value} {unit}</source>
        <extracomment>Heights (fractions of the plot&apos;s, from the bottom) a vertical marker&apos;s label may take, first choice first. What a polyline&apos;s segment through a label costs in :func:`_label_places`, in sampled curve points.</extracomment>
        <translation>实测 {value} {unit}</translation>
    </message>
    <message>
        <source>estimated {value} {unit} ({error} %)</source>
        <translation>估算 {value} {unit}（误差 {error} %）</translation>
    </message>
</context>
<context>
    <name>CompareTab</name>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Cards</source>
        <translation>显卡</translation>
    </message>
    <message>
        <source>Weights format</source>
        <translation>权重格式</translation>
    </message>
    <message>
        <source>Engine</source>
        <translation>推理引擎</translation>
    </message>
    <message>
        <source>Prompt + output</source>
        <translation>提示词 + 输出</translation>
    </message>
    <message>
        <source>Batch</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>KV cache</source>
        <translation>KV 缓存</translation>
    </message>
    <message>
        <source>Activations</source>
        <translation>激活</translation>
    </message>
    <message>
        <source>Overhead</source>
        <translation>运行时开销</translation>
    </message>
    <message>
        <source>Total per card</source>
        <translation>每卡总计</translation>
    </message>
    <message>
        <source>Usable per card</source>
        <translation>每卡可用</translation>
    </message>
    <message>
        <source>Verdict</source>
        <translation>结论</translation>
    </message>
    <message>
        <source>Largest context</source>
        <translation>最大上下文长度</translation>
    </message>
    <message>
        <source>Decode ms/token</source>
        <translation>解码 ms/token</translation>
    </message>
    <message>
        <source>Tokens/s (all sequences)</source>
        <translation>tokens/s（所有序列合计）</translation>
    </message>
    <message>
        <source>Time to first token</source>
        <translation>首字延迟</translation>
    </message>
    <message>
        <source>Cost / million tokens</source>
        <translation>每百万 token 成本</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>The live scenario and up to four pinned ones (Scenario → Pin, Ctrl+P)</source>
        <translation>当前场景与最多四个固定的场景（场景 → 固定，Ctrl+P）</translation>
    </message>
    <message>
        <source>Pin scenarios with Scenario → Pin current scenario (Ctrl+P); the charts draw them as dashed lines.</source>
        <translation>用“场景 → 固定当前场景”（Ctrl+P）固定场景；图表会把它们画成虚线。</translation>
    </message>
    <message>
        <source>live</source>
        <translation>当前</translation>
    </message>
    <message>
        <source>pin {i}</source>
        <translation>固定 {i}</translation>
    </message>
</context>
<context>
    <name>CustomGpuDialog</name>
    <message>
        <source>Add a custom GPU</source>
        <translation>添加自定义 GPU</translation>
    </message>
    <message>
        <source>e.g. My workstation card</source>
        <translation>例如：我的工作站显卡</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>where the numbers come from (datasheet URL)</source>
        <translation>数据出处（数据手册网址）</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Shown in the pickers and the fit table</source>
        <translation>显示在选择框和适配表中</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>显存</translation>
    </message>
    <message>
        <source>Memory the driver reports for one card</source>
        <translation>驱动报告的单卡显存</translation>
    </message>
    <message>
        <source>Bandwidth</source>
        <translation>带宽</translation>
    </message>
    <message>
        <source>Peak memory bandwidth from the datasheet</source>
        <translation>数据手册中的峰值显存带宽</translation>
    </message>
    <message>
        <source>FP16 tensor</source>
        <translation>FP16 张量算力</translation>
    </message>
    <message>
        <source>Dense fp16 tensor TFLOP/s (for prefill and the knee)</source>
        <translation>稠密 fp16 张量核算力 TFLOP/s（用于预填充和拐点）</translation>
    </message>
    <message>
        <source>Unified memory</source>
        <translation>统一内存</translation>
    </message>
    <message>
        <source>The GPU shares the machine&apos;s memory with the CPU (Apple silicon, DGX Spark, Ryzen AI Max)</source>
        <translation>GPU 与 CPU 共用整机内存（Apple 芯片、DGX Spark、Ryzen AI Max）</translation>
    </message>
    <message>
        <source>GPU share</source>
        <translation>GPU 可用比例</translation>
    </message>
    <message>
        <source>Share of that memory the GPU may use: macOS wires 75 % by default; set what your platform allows</source>
        <translation>GPU 可使用的内存比例：macOS 默认最多 75 %；请按你的平台设置</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Every number in a preset names its source</source>
        <translation>预设中的每个数字都要注明出处</translation>
    </message>
</context>
<context>
    <name>ExplainPanel</name>
    <message>
        <source>Source:</source>
        <translation>来源：</translation>
    </message>
    <message>
        <source>Formula:</source>
        <translation>公式：</translation>
    </message>
    <message>
        <source>Here:</source>
        <translation>代入：</translation>
    </message>
</context>
<context>
    <name>FitPanel</name>
    <message>
        <source>Will it fit?</source>
        <translation>放得下吗？</translation>
    </message>
    <message>
        <source>Every card for this scenario; click a row to make it the primary card</source>
        <translation>当前场景下的每张卡；点击一行即可选为主卡</translation>
    </message>
    <message>
        <source>All cards</source>
        <translation>全部显卡</translation>
    </message>
    <message>
        <source>Show one class of card</source>
        <translation>只显示一类显卡</translation>
    </message>
    <message>
        <source>Filter cards (name or vendor)…</source>
        <translation>筛选显卡（名称或厂商）…</translation>
    </message>
    <message>
        <source>Type part of a card&apos;s name or vendor</source>
        <translation>输入显卡名称或厂商的一部分</translation>
    </message>
</context>
<context>
    <name>FitTable</name>
    <message>
        <source>Card</source>
        <translation>显卡</translation>
    </message>
    <message>
        <source>Needed</source>
        <translation>所需</translation>
    </message>
    <message>
        <source>Usable</source>
        <translation>可用</translation>
    </message>
    <message>
        <source>Headroom</source>
        <translation>余量</translation>
    </message>
    <message>
        <source>Cards</source>
        <translation>卡数</translation>
    </message>
    <message>
        <source>Max context</source>
        <translation>最大上下文</translation>
    </message>
    <message>
        <source>Max batch</source>
        <translation>最大批大小</translation>
    </message>
    <message>
        <source>Decode tok/s</source>
        <translation>解码 tok/s</translation>
    </message>
    <message>
        <source>Max seq</source>
        <translation>最大序列长度</translation>
    </message>
    <message>
        <source>Fits on one card (green), on several (amber), or not within 64 cards (red); grey: the engine does not run on that GPU</source>
        <translation>单卡放得下（绿色）、需要多卡（琥珀色）、64 张卡以内都放不下（红色）；灰色：所选引擎不能在该 GPU 上运行</translation>
    </message>
    <message>
        <source>GPU model (memory as the driver reports it)</source>
        <translation>GPU 型号（显存按驱动报告的值）</translation>
    </message>
    <message>
        <source>Memory the scenario needs per card (GiB = 2^30 bytes; vLLM&apos;s start-up reserve depends on the card)</source>
        <translation>该场景每张卡所需的显存（GiB = 2^30 字节；vLLM 启动时预留的部分因卡而异）</translation>
    </message>
    <message>
        <source>Memory the engine may use per card</source>
        <translation>引擎每卡可使用的显存</translation>
    </message>
    <message>
        <source>Usable minus needed</source>
        <translation>可用减去所需</translation>
    </message>
    <message>
        <source>Fewest cards of this kind that fit</source>
        <translation>放得下所需的最少同型号卡数</translation>
    </message>
    <message>
        <source>Largest prompt + output that fits with this batch; &quot;(limit)&quot;: memory allows more than the model&apos;s own context limit; &quot;(RAM)&quot;: on a row offloaded to the System RAM, with the RAM (worked out once you pause)</source>
        <translation>此批量下能放下的最长提示 + 输出；“（上限）”：显存允许的长度超过模型自身的上下文上限；“（内存）”：对卸载到系统内存的行，计入系统内存后的长度（停止操作后计算）</translation>
    </message>
    <message>
        <source>Most concurrent sequences of this prompt + output that fit; &quot;(RAM)&quot;: on a row offloaded to the System RAM, with the RAM (worked out once you pause)</source>
        <translation>按此提示 + 输出能同时放下的最多序列数；“（内存）”：对卸载到系统内存的行，计入系统内存后的数目（停止操作后计算）</translation>
    </message>
    <message>
        <source>Expected decode speed of one sequence at this batch</source>
        <translation>当前批大小下单个序列的预期解码速度</translation>
    </message>
    <message>
        <source>; not among the cards the chosen engine lists: it may not run here (choose the card for why)</source>
        <translation>；不在所选引擎列出的显卡之中：可能无法在此运行（选中该卡可查看原因）</translation>
    </message>
    <message>
        <source>; the chosen engine does not load these weights as stored here: the card holds other bytes than these (choose the card for why)</source>
        <translation>；所选引擎在此卡上不会按原样加载这些权重：显卡上保存的字节数与此不同（选中该卡可查看原因）</translation>
    </message>
    <message>
        <source>; the chosen engine does not run on this GPU: memory figures only</source>
        <translation>；所选引擎不能在此 GPU 上运行：仅显示显存数据</translation>
    </message>
    <message>
        <source>; no FLOP/s figure: speed is bandwidth-only</source>
        <translation>；没有 FLOP/s 数据：速度只按带宽估算</translation>
    </message>
    <message>
        <source>{n} (limit)</source>
        <translation>{n} (上限)</translation>
    </message>
    <message>
        <source>{n} (RAM)</source>
        <translation>{n} (内存)</translation>
    </message>
</context>
<context>
    <name>Formats</name>
    <message>
        <source>Generic (theory)</source>
        <translation>通用（理论）</translation>
    </message>
    <message>
        <source>llama.cpp (no CUDA graphs)</source>
        <translation>llama.cpp（无 CUDA 图）</translation>
    </message>
    <message>
        <source>Ollama (num_ctx set)</source>
        <translation>Ollama（已设 num_ctx）</translation>
    </message>
    <message>
        <source>FP8 (E4M3, per-tensor scale)</source>
        <translation>FP8（E4M3，逐张量缩放）</translation>
    </message>
    <message>
        <source>INT8 (W8A16, per-row scale)</source>
        <translation>INT8（W8A16，逐行缩放）</translation>
    </message>
    <message>
        <source>INT8 (W8A8, per-row scale)</source>
        <translation>INT8（W8A8，逐行缩放）</translation>
    </message>
    <message>
        <source>bitsandbytes 8-bit (LLM.int8)</source>
        <translation>bitsandbytes 8 位（LLM.int8）</translation>
    </message>
    <message>
        <source>INT4 (symmetric, group 128)</source>
        <translation>INT4（对称，分组 128）</translation>
    </message>
    <message>
        <source>GPTQ int4 (group 128)</source>
        <translation>GPTQ int4（分组 128）</translation>
    </message>
    <message>
        <source>AWQ int4 (group 128)</source>
        <translation>AWQ int4（分组 128）</translation>
    </message>
    <message>
        <source>bitsandbytes NF4 (double quant)</source>
        <translation>bitsandbytes NF4（双重量化）</translation>
    </message>
    <message>
        <source>bitsandbytes 4-bit (no double quant)</source>
        <translation>bitsandbytes 4 位（无双重量化）</translation>
    </message>
    <message>
        <source>NVFP4 (FP4, group 16)</source>
        <translation>NVFP4（FP4，每组 16）</translation>
    </message>
    <message>
        <source>NVFP4 weight-only (W4A16, group 16)</source>
        <translation>NVFP4 仅权重（W4A16，每组 16）</translation>
    </message>
    <message>
        <source>MXFP4 experts (gpt-oss)</source>
        <translation>MXFP4 专家权重（gpt-oss）</translation>
    </message>
    <message>
        <source>GGUF MXFP4 experts, Q8_0 rest (gpt-oss)</source>
        <translation>GGUF MXFP4 专家权重，其余 Q8_0（gpt-oss）</translation>
    </message>
    <message>
        <source>INT4 experts, group 32 (Kimi)</source>
        <translation>INT4 专家权重，每组 32（Kimi）</translation>
    </message>
    <message>
        <source>MLX 4-bit (group 64)</source>
        <translation>MLX 4 位（每组 64）</translation>
    </message>
    <message>
        <source>MLX 6-bit (group 64)</source>
        <translation>MLX 6 位（每组 64）</translation>
    </message>
    <message>
        <source>MLX 8-bit (group 64)</source>
        <translation>MLX 8 位（每组 64）</translation>
    </message>
    <message>
        <source>PyTorch&apos;s MPS device has no float8 dtypes</source>
        <translation>PyTorch 的 MPS 设备没有 float8 数据类型</translation>
    </message>
    <message>
        <source>AutoAWQ&apos;s kernels are built for NVIDIA and AMD cards only</source>
        <translation>AutoAWQ 的内核只为 NVIDIA 和 AMD 显卡构建</translation>
    </message>
    <message>
        <source>its macOS build runs on the CPU only; on the GPU, the community vLLM-Metal plugin runs models through MLX (the MLX engine profile times mlx-lm&apos;s own generate, not the plugin)</source>
        <translation>其 macOS 版本只在 CPU 上运行；在 GPU 上，社区维护的 vLLM-Metal 插件通过 MLX 运行模型（MLX 引擎配置计时的是 mlx-lm 自己的 generate，而非该插件）</translation>
    </message>
    <message>
        <source>its CUDA and ROCm kernels do not run there; its experimental MLX backend (built from source, SGLANG_USE_MLX=1) runs models through mlx-lm (the MLX engine profile times mlx-lm&apos;s own generate, not SGLang&apos;s scheduler)</source>
        <translation>其 CUDA 和 ROCm 内核不能在此运行；其实验性的 MLX 后端（从源码构建，SGLANG_USE_MLX=1）通过 mlx-lm 运行模型（MLX 引擎配置计时的是 mlx-lm 自己的 generate，而非 SGLang 的调度器）</translation>
    </message>
    <message>
        <source>vramgui models its Metal backend on Apple chips; MLX&apos;s CUDA backend (Linux, NVIDIA SM 7.5 or newer) is not modelled, and it has none for AMD or Intel cards</source>
        <translation>vramgui 只为 Apple 芯片上的 Metal 后端建模；MLX 的 CUDA 后端（Linux，NVIDIA SM 7.5 或更新）未建模，它也没有 AMD 或 Intel 显卡的后端</translation>
    </message>
    <message>
        <source>mlx-lm places no layer in system RAM: its generate() wires the chip&apos;s recommended working set (mx.set_wired_limit) and warns above 0.9 of it that generation can be slow; past it the model&apos;s arrays are not wired and macOS may page or compress them (100 GB models on a 128 GB M4 Max decoded about 40 times slower unwired); raise the limit with sudo sysctl iogpu.wired_limit_mb</source>
        <translation>mlx-lm 不会把任何层放到系统内存：其 generate() 锁定芯片推荐的工作集（mx.set_wired_limit），超过其 0.9 时警告生成可能变慢；超出后模型数组不再锁定，macOS 可能将其换页或压缩（128 GB 的 M4 Max 上 100 GB 的模型在未锁定时解码约慢 40 倍）；可用 sudo sysctl iogpu.wired_limit_mb 提高上限</translation>
    </message>
    <message>
        <source>HF transformers refuses bitsandbytes weights placed partly in RAM (&apos;Some modules are dispatched on the CPU or the disk. Make sure you have enough GPU RAM to fit the quantized model&apos;) unless the BitsAndBytesConfig sets llm_int8_enable_fp32_cpu_offload=True. With device_map=&apos;auto&apos; the layers are quantized before the map is inferred, so those it places in RAM stay quantized, as the plan counts; the modules a device_map of one&apos;s own places in RAM are not quantized but kept in the dtype loaded, more bytes than the plan counts</source>
        <translation>HF transformers 拒绝部分放在内存中的 bitsandbytes 权重（“Some modules are dispatched on the CPU or the disk. Make sure you have enough GPU RAM to fit the quantized model”），除非 BitsAndBytesConfig 设置了 llm_int8_enable_fp32_cpu_offload=True。使用 device_map=&apos;auto&apos; 时，各层在推断映射之前就已量化，因此它放到内存中的层仍是量化的，与方案所计一致；自定 device_map 放到内存中的模块不量化，而保持加载时的数据类型，字节数多于方案所计</translation>
    </message>
    <message>
        <source>HF transformers&apos; NVFP4 quantizer loads the model on one CUDA device: it refuses a device_map over several (&apos;NVFP4 quantization currently supports one CUDA device. Tensor parallelism and multi-device `device_map` configurations are not supported yet&apos;) and one with CPU or disk entries (&apos;NVFP4 quantization does not support CPU or disk offload&apos;)</source>
        <translation>HF transformers 的 NVFP4 量化器把模型加载到一个 CUDA 设备上：它拒绝跨多个设备的 device_map（“NVFP4 quantization currently supports one CUDA device. Tensor parallelism and multi-device `device_map` configurations are not supported yet”），也拒绝含 CPU 或磁盘条目的 device_map（“NVFP4 quantization does not support CPU or disk offload”）</translation>
    </message>
    <message>
        <source>mlx-lm loads MLX&apos;s own formats, 16- and 32-bit weights and, transformed as it loads them, AWQ, GPTQ 4-bit and MXFP4 checkpoints; others are converted first (mlx_lm.convert, -q for MLX 4-bit): these figures count this format&apos;s bytes at MLX&apos;s speeds</source>
        <translation>mlx-lm 直接加载 MLX 自有格式、16 位和 32 位权重，并在加载时转换 AWQ、GPTQ 4 位和 MXFP4 检查点；其他格式需先转换（mlx_lm.convert，-q 为 MLX 4 位）：这些数字按此格式的字节数和 MLX 的速度计算</translation>
    </message>
    <message>
        <source>llama.cpp loads GGUF files only: a checkpoint in this format is converted first (convert_hf_to_gguf.py, then llama-quantize to a GGUF type, whose bytes are that type&apos;s: pick it); these figures count this format&apos;s bytes at llama.cpp&apos;s speeds</source>
        <translation>llama.cpp 只加载 GGUF 文件：此格式的检查点需先转换（convert_hf_to_gguf.py，再用 llama-quantize 量化为某种 GGUF 类型，其字节数是该类型的：请选择它）；这里的数字按此格式的字节数、以 llama.cpp 的速度计算</translation>
    </message>
    <message>
        <source>MLX&apos;s formats are mlx-lm&apos;s own group-wise quantization (mlx_lm.convert -q), which only MLX loads: this engine runs the checkpoint it was converted from, or another quantization of it; these figures count the MLX format&apos;s bytes at this engine&apos;s speeds</source>
        <translation>MLX 格式是 mlx-lm 自己的分组量化（mlx_lm.convert -q），只有 MLX 能加载：此引擎运行的是转换前的检查点或其另一种量化；这里的数字按 MLX 格式的字节数、以此引擎的速度计算</translation>
    </message>
    <message>
        <source>HF transformers dequantizes a GGUF file as it loads it, to 32-bit weights or the dtype given, so the card holds 16- or 32-bit weights, not this type&apos;s bytes: pick BF16 or FP16 for its memory</source>
        <translation>HF transformers 加载 GGUF 文件时会将其反量化为 32 位权重（或指定的 dtype），所以显卡上保存的是 16 或 32 位权重，而不是此类型的字节数：请选择 BF16 或 FP16 来估算其显存</translation>
    </message>
    <message>
        <source>HF transformers runs MXFP4 experts with its Triton kernels on cards of compute capability 7.5 or newer only; on an older card or an Apple chip it dequantizes them to BF16 as it loads them, so the card holds 16-bit experts, not MXFP4&apos;s bytes: pick BF16 for its memory</source>
        <translation>HF transformers 仅在计算能力 7.5 或更新的显卡上用其 Triton 内核运行 MXFP4 专家权重；在更旧的显卡或 Apple 芯片上，它会在加载时将其反量化为 BF16，所以显卡上保存的是 16 位专家权重，而不是 MXFP4 的字节数：请选择 BF16 来估算其显存</translation>
    </message>
    <message>
        <source>HF transformers runs compressed-tensors checkpoints through compressed-tensors&apos; CompressedLinear, which decompresses each layer&apos;s weights to 16 bits on its first forward pass and keeps them: the card holds 16-bit weights, not this format&apos;s bytes: pick BF16 for its memory</source>
        <translation>HF transformers 通过 compressed-tensors 的 CompressedLinear 运行 compressed-tensors 检查点，它会在每层第一次前向计算时将权重解压为 16 位并保留下来：显卡上保存的是 16 位权重，而不是此格式的字节数：请选择 BF16 来估算其显存</translation>
    </message>
    <message>
        <source>HF transformers runs FP8 checkpoints (quant_method fp8) on cards of compute capability 8.9 or newer only; on an older card (an A100, an RTX 3090) it dequantizes them to BF16 as it loads them, so the card holds 16-bit weights, not FP8&apos;s bytes: pick BF16 for its memory</source>
        <translation>HF transformers 仅在计算能力 8.9 或更新的显卡上运行 FP8 检查点（quant_method fp8）；在更旧的显卡（A100、RTX 3090）上，它会在加载时将其反量化为 BF16，所以显卡上保存的是 16 位权重，而不是 FP8 的字节数：请选择 BF16 来估算其显存</translation>
    </message>
    <message>
        <source>it may run from a build of one&apos;s own, or not at all; these figures time it as it runs on the cards it lists</source>
        <translation>可能需要自行构建才能运行，也可能完全无法运行；这些数字按它在所列显卡上的运行计时</translation>
    </message>
    <message>
        <source>pick sdpa attention, which runs there and which vramgui counts alike</source>
        <translation>请选择 sdpa 注意力：它可在此运行，且 vramgui 对其计算相同</translation>
    </message>
    <message>
        <source>choose FP16 weights (--dtype half), the same bytes, which it runs there</source>
        <translation>请选择 FP16 权重（--dtype half）：字节数相同，且它可在此运行</translation>
    </message>
    <message>
        <source>vLLM with BF16 weights</source>
        <translation>使用 BF16 权重的 vLLM</translation>
    </message>
    <message>
        <source>vLLM with INT8 W8A8 weights</source>
        <translation>使用 INT8 W8A8 权重的 vLLM</translation>
    </message>
    <message>
        <source>vLLM with MXFP4 experts</source>
        <translation>使用 MXFP4 专家权重的 vLLM</translation>
    </message>
    <message>
        <source>vLLM with NVFP4 weights</source>
        <translation>使用 NVFP4 权重的 vLLM</translation>
    </message>
    <message>
        <source>HF transformers&apos; bitsandbytes quantization replaces torch.nn.Linear layers only: an MoE model&apos;s routed experts, fused 3-D parameters in transformers 5, stay in 16 bits (its attention, shared experts and dense layers are quantized)</source>
        <translation>HF transformers 的 bitsandbytes 量化只替换 torch.nn.Linear 层：MoE 模型的路由专家在 transformers 5 中是融合的三维参数，保持 16 位（其注意力、共享专家和稠密层会被量化）</translation>
    </message>
    <message>
        <source>HF transformers with NVFP4 weights</source>
        <translation>使用 NVFP4 权重的 HF transformers</translation>
    </message>
    <message>
        <source>SGLang with NVFP4 weights</source>
        <translation>使用 NVFP4 权重的 SGLang</translation>
    </message>
    <message>
        <source>SGLang with GGUF weights</source>
        <translation>使用 GGUF 权重的 SGLang</translation>
    </message>
    <message>
        <source>vLLM with bitsandbytes weights</source>
        <translation>使用 bitsandbytes 权重的 vLLM</translation>
    </message>
    <message>
        <source>pick AWQ or GPTQ int4, which its ROCm builds run, or FP8</source>
        <translation>请选择其 ROCm 版本可运行的 AWQ 或 GPTQ int4，或 FP8</translation>
    </message>
    <message>
        <source>run the GGUF on llama.cpp&apos;s ROCm or Vulkan build, or give SGLang an AWQ, GPTQ or FP8 checkpoint, which its ROCm builds run</source>
        <translation>请在 llama.cpp 的 ROCm 或 Vulkan 版本上运行该 GGUF，或为 SGLang 提供其 ROCm 版本可运行的 AWQ、GPTQ 或 FP8 检查点</translation>
    </message>
    <message>
        <source>vLLM runs NVFP4 checkpoints on it (weight-only before Blackwell), or pick FP8</source>
        <translation>vLLM 可在此卡上运行 NVFP4 检查点（Blackwell 之前为仅权重量化），或请选择 FP8</translation>
    </message>
    <message>
        <source>vLLM runs NVFP4 checkpoints on it (weight-only before Blackwell), or pick BF16</source>
        <translation>vLLM 可在此卡上运行 NVFP4 检查点（Blackwell 之前为仅权重量化），或请选择 BF16</translation>
    </message>
    <message>
        <source>run a GGUF of the model on llama.cpp, or a 16-bit checkpoint</source>
        <translation>请用 llama.cpp 运行该模型的 GGUF，或使用 16 位检查点</translation>
    </message>
    <message>
        <source>run a GGUF of the model on llama.cpp, or pick FP16 weights</source>
        <translation>请用 llama.cpp 运行该模型的 GGUF，或选择 FP16 权重</translation>
    </message>
    <message>
        <source>choose FP8 weights where the card multiplies them (Ada, Hopper, Blackwell), or INT8 W8A16, whose kernels run on it</source>
        <translation>请在能以 FP8 做乘法的显卡（Ada、Hopper、Blackwell）上选择 FP8 权重，或选择 INT8 W8A16，其内核可在此卡运行</translation>
    </message>
    <message>
        <source>Data centre</source>
        <translation>数据中心</translation>
    </message>
    <message>
        <source>Workstation</source>
        <translation>工作站</translation>
    </message>
    <message>
        <source>Consumer</source>
        <translation>消费级</translation>
    </message>
    <message>
        <source>Apple</source>
        <translation>Apple</translation>
    </message>
    <message>
        <source>Custom</source>
        <translation>自定义</translation>
    </message>
    <message>
        <source>as the driver reports it</source>
        <translation>驱动报告值</translation>
    </message>
    <message>
        <source>as marketed</source>
        <translation>标称值</translation>
    </message>
    <message>
        <source>an Apple chip</source>
        <translation>Apple 芯片</translation>
    </message>
    <message>
        <source>compute capability {cc}</source>
        <translation>计算能力 {cc}</translation>
    </message>
</context>
<context>
    <name>Guide</name>
    <message>
        <source>&lt;h3&gt;Reading the charts&lt;/h3&gt;</source>
        <translation>&lt;h3&gt;如何阅读图表&lt;/h3&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Memory per card vs prompt length.&lt;/b&gt; The stacked areas are what one card holds at each prompt length: weights (fixed), KV cache (grows with every token of every sequence), the activation peak of a forward pass (quadratic in the prompt with eager attention) and the runtime overhead (CUDA context, engine buffers). The black line is the card&apos;s memory; a dashed line is the usable budget when the engine caps it (vLLM). The grey vertical line is your prompt; the dashed red one is the largest prompt that fits. With &lt;i&gt;System RAM&lt;/i&gt; set, the hatched band above the card&apos;s line is what runs from system RAM, and the red dash-dot line the largest prompt the card and the RAM hold together.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;每卡显存随提示词长度的变化。&lt;/b&gt;堆叠面积表示在每个提示词长度下单张卡上要放的内容：权重（固定不变）、KV 缓存（随每个序列的每个 token 增长）、一次前向传播的激活峰值（使用 eager 注意力时随提示词长度呈平方增长）以及运行时开销（CUDA 上下文、引擎缓冲区）。黑色实线是卡的显存容量；引擎限制可用显存时（vLLM），虚线表示可用预算。灰色竖线是当前提示词长度，红色虚线是放得下的最长提示词。设置了&lt;i&gt;系统内存&lt;/i&gt;后，卡容量线以上的斜线阴影带表示卸载到系统内存中运行的部分，红色点划线是显卡与内存合起来放得下的最长提示词。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Speed vs batch size.&lt;/b&gt; Top: tokens per second of all sequences together; bottom: the time of one decode step. Solid lines are the expected speed, dashed ones the speed of light (peak bandwidth and FLOP/s). Throughput rises almost linearly while decode is memory-bound and flattens at the &lt;i&gt;knee&lt;/i&gt;, where it turns compute-bound; the red dashed line is the largest batch memory allows. At long contexts each sequence adds more cache to read than math to do, and decode stays memory-bound at every batch: the step plot&apos;s corner then says &lt;i&gt;no knee&lt;/i&gt; (or where a knee past the chart lies). With &lt;i&gt;System RAM&lt;/i&gt; set and a model the card alone cannot hold, the curves still keep every layer on the card; the orange diamond is the offload plan at your batch and, once you stop editing, the orange line the plans at each number of sequences the card and the RAM hold (hover a point for its numbers; the cost under the price then names the cheapest).&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;速度随批大小的变化。&lt;/b&gt;上图：所有序列合计每秒生成的 token 数；下图：一次解码步的耗时。实线是预期速度，虚线是理论上限（峰值带宽和 FLOP/s）。解码受访存带宽限制时，吞吐量几乎随批大小线性增长，到&lt;i&gt;拐点&lt;/i&gt;处转为受算力限制而趋于平缓；红色虚线是显存允许的最大批大小。上下文较长时，每增加一个序列，要读取的缓存比要做的计算增加得更多，解码在所有批大小下都受访存带宽限制：此时下图的角落会显示&lt;i&gt;无拐点&lt;/i&gt;（或图外拐点所在的位置）。设置了&lt;i&gt;系统内存&lt;/i&gt;且模型单靠显卡放不下时，曲线仍按所有层都在卡上计算；橙色菱形是当前批大小下的卸载方案，停止编辑后，橙色折线是显卡与内存能容纳的各个序列数下的卸载方案（鼠标悬停在点上查看数值；此时价格下方的成本会给出最便宜的批大小）。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;&lt;b&gt;Will it fit?&lt;/b&gt; Every card: fits, needs N cards, partly offloaded, or does not fit; needed and usable memory, the largest context and batch, and expected tokens/s. Click a row to plan for that card.&lt;/p&gt;</source>
        <translation>&lt;p&gt;&lt;b&gt;放得下吗？&lt;/b&gt;列出每张卡的结论：放得下、需要 N 张卡、部分卸载或放不下；以及所需和可用显存、最大上下文长度和批大小、预期 tokens/s。点击一行即可按那张卡来规划。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;Hover any number in the strip under the charts for its formula with your numbers. Memory is in GiB (2&lt;sup&gt;30&lt;/sup&gt; bytes).&lt;/p&gt;</source>
        <translation>&lt;p&gt;把鼠标停在图表下方数字栏中的任意数字上，即可看到代入了你的数值的计算公式。显存单位为 GiB（2&lt;sup&gt;30&lt;/sup&gt; 字节）。&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>Language</name>
    <message>
        <source>System default</source>
        <translation>跟随系统</translation>
    </message>
</context>
<context>
    <name>Layouts</name>
    <message>
        <source>At this load</source>
        <translation>此负载下</translation>
    </message>
    <message>
        <source>Per replica</source>
        <translation>每副本</translation>
    </message>
    <message>
        <source>Layout</source>
        <translation>布局</translation>
    </message>
    <message>
        <source>Needed</source>
        <translation>所需</translation>
    </message>
    <message>
        <source>Usable</source>
        <translation>可用</translation>
    </message>
    <message>
        <source>Max seqs</source>
        <translation>最大序列</translation>
    </message>
    <message>
        <source>ms/token</source>
        <translation>毫秒/token</translation>
    </message>
    <message>
        <source>tok/s</source>
        <translation>tok/s</translation>
    </message>
    <message>
        <source>tok/s at most</source>
        <translation>最高 tok/s</translation>
    </message>
    <message>
        <source>First token, 1 prompt</source>
        <translation>首字延迟（单个提示）</translation>
    </message>
    <message>
        <source>Cost/M tok</source>
        <translation>成本/百万 tok</translation>
    </message>
    <message>
        <source>Replicas serving side by side × the cards each one splits the model over (tensor parallel; layers for llama.cpp and HF)</source>
        <translation>并行服务的副本数 × 每个副本拆分模型所用的卡数（张量并行；llama.cpp 和 HF 按层拆分）</translation>
    </message>
    <message>
        <source>Whether the load&apos;s sequences fit their replicas</source>
        <translation>此负载的序列能否放入各副本</translation>
    </message>
    <message>
        <source>Memory per card at the load</source>
        <translation>此负载下每张卡的显存</translation>
    </message>
    <message>
        <source>Memory the engine may use per card</source>
        <translation>引擎每卡可使用的显存</translation>
    </message>
    <message>
        <source>Concurrent sequences the whole machine holds</source>
        <translation>整机可容纳的并发序列数</translation>
    </message>
    <message>
        <source>Sequences each replica serves at the load (the batch spread evenly)</source>
        <translation>此负载下每个副本服务的序列数（批次平均分配）</translation>
    </message>
    <message>
        <source>Time per output token at the load, served (other requests&apos; prompts included)</source>
        <translation>此负载下每个输出 token 的时间（服务状态，含其他请求的提示词）</translation>
    </message>
    <message>
        <source>Generated tokens per second of the whole machine at the load</source>
        <translation>此负载下整机每秒生成的 token 数</translation>
    </message>
    <message>
        <source>... with every replica at the largest batch it holds (at most what the engine schedules at once: vLLM&apos;s max_num_seqs)</source>
        <translation>……每个副本都处于其可容纳的最大批次时（不超过引擎一次调度的数量：vLLM 的 max_num_seqs）</translation>
    </message>
    <message>
        <source>One prompt&apos;s prefill on an idle replica</source>
        <translation>空闲副本上一个提示词的预填充</translation>
    </message>
    <message>
        <source>Cost of a million generated tokens at the load, at your price per card-hour</source>
        <translation>此负载下生成一百万 token 的成本，按你设定的每卡小时价格</translation>
    </message>
</context>
<context>
    <name>LayoutsPanel</name>
    <message>
        <source>Layouts compare ways of serving a model: switch the mode to Inference.</source>
        <translation>布局比较的是模型的服务方式：请将模式切换为推理。</translation>
    </message>
    <message>
        <source>{model} on {n} × {gpu}, one sequence at a time, {engine}; times served, prompts included</source>
        <translation>{model} 运行于 {n} × {gpu}，每次一个序列，{engine}；时间为服务时的时间，含提示词处理</translation>
    </message>
    <message>
        <source>{model} on {n} × {gpu}, {load} concurrent sequences spread over the replicas, {engine}; times served, prompts included</source>
        <translation>{model} 运行于 {n} × {gpu}，{load} 个并发序列分配到各副本，{engine}；时间为服务时的时间，含提示词处理</translation>
    </message>
    <message>
        <source>One card: set Number of GPUs to the machine&apos;s card count to compare the ways of splitting it.</source>
        <translation>只有一张卡：将 GPU 数量设为整机卡数，即可比较不同的拆分方式。</translation>
    </message>
    <message>
        <source>Each group&apos;s tensor parallel spans {k} nodes of {m} cards: its all-reduces cross the network, which these speeds do not model (likely slower than shown)</source>
        <translation>每组的张量并行跨越 {k} 个节点（每节点 {m} 张卡）：其 all-reduce 经过节点间网络，此处的速度未对此建模（实际可能更慢）</translation>
    </message>
    <message>
        <source>fits</source>
        <translation>放得下</translation>
    </message>
    <message>
        <source>one sequence fits</source>
        <translation>仅放得下一个序列</translation>
    </message>
    <message>
        <source>does not fit</source>
        <translation>放不下</translation>
    </message>
    <message>
        <source>· {k} nodes</source>
        <translation>· {k} 个节点</translation>
    </message>
    <message>
        <source>({n} stages)</source>
        <translation>（{n} 级）</translation>
    </message>
</context>
<context>
    <name>MachineTab</name>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>格式</translation>
    </message>
    <message>
        <source>Bits/weight</source>
        <translation>位/权重</translation>
    </message>
    <message>
        <source>Runs</source>
        <translation>运行方式</translation>
    </message>
    <message>
        <source>Needed</source>
        <translation>所需显存</translation>
    </message>
    <message>
        <source>Max context</source>
        <translation>最大上下文</translation>
    </message>
    <message>
        <source>Tokens/s</source>
        <translation>tokens/s</translation>
    </message>
    <message>
        <source>First token</source>
        <translation>首字延迟</translation>
    </message>
    <message>
        <source>{n} (model limit)</source>
        <translation>{n}（模型上限）</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>显卡</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <source>Engine</source>
        <translation>推理引擎</translation>
    </message>
    <message>
        <source>GGUF on</source>
        <translation>GGUF 运行于</translation>
    </message>
    <message>
        <source>Host CPU</source>
        <translation>主机 CPU</translation>
    </message>
    <message>
        <source>auto ({host})</source>
        <translation>自动（{host}）</translation>
    </message>
    <message>
        <source>desktop</source>
        <translation>台式机</translation>
    </message>
    <message>
        <source>server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <source>older server</source>
        <translation>旧服务器</translation>
    </message>
    <message>
        <source> GB RAM</source>
        <translation> GB 内存</translation>
    </message>
    <message>
        <source> tokens</source>
        <translation> token</translation>
    </message>
    <message>
        <source>generic</source>
        <translation>通用</translation>
    </message>
    <message>
        <source>Filter (model, family, format)…</source>
        <translation>筛选（模型、系列、格式）…</translation>
    </message>
    <message>
        <source>only what runs</source>
        <translation>只看能运行的</translation>
    </message>
    <message>
        <source>pinned RAM</source>
        <translation>锁页内存</translation>
    </message>
    <message>
        <source>experts only in RAM</source>
        <translation>内存中仅放专家</translation>
    </message>
    <message>
        <source>RAM bandwidth</source>
        <translation>内存带宽</translation>
    </message>
    <message>
        <source>platform default</source>
        <translation>平台默认</translation>
    </message>
    <message>
        <source>All weights&apos; average: the file&apos;s size in bits over its parameters, as llama.cpp prints it (BPW), with 16-bit embeddings, K-quant mixes and fallback types counted</source>
        <translation>所有权重的平均值：文件的比特数除以参数量，与 llama.cpp 打印的 BPW 相同，计入 16 位嵌入、K-quant 混合与回退类型</translation>
    </message>
    <message>
        <source>Largest context that fits at this batch; &quot;(RAM)&quot;: partly offloaded or on the CPU, the largest the cards and the System RAM hold together</source>
        <translation>此批量下能放下的最长上下文；“（内存）”：部分卸载或仅用 CPU 时，显卡与系统内存合起来能容纳的最长上下文</translation>
    </message>
    <message>
        <source>The card in your machine</source>
        <translation>你机器里的显卡</translation>
    </message>
    <message>
        <source>How many of these cards</source>
        <translation>这种卡的数量</translation>
    </message>
    <message>
        <source>System RAM, for the weights the cards cannot hold (0: GPU only)</source>
        <translation>系统内存，用于存放显卡放不下的权重（0：仅用 GPU）</translation>
    </message>
    <message>
        <source>The weights in RAM are in pinned host memory (llama.cpp --no-mmap): the First token column&apos;s copies to the card run faster</source>
        <translation>内存中的权重位于锁页主机内存（llama.cpp --no-mmap）：“首字延迟”一列中复制到显卡的速度更快</translation>
    </message>
    <message>
        <source>vLLM, an MoE model offloaded: only the routed experts&apos; weights go to RAM (--cpu-offload-params with their names), and a step reads there only the experts its tokens use, as on the Plan tab; greyed under the other engines. Dense models offload as before</source>
        <translation>vLLM，卸载的 MoE 模型：只把路由专家的权重放到内存（--cpu-offload-params 加上其参数名），每步只在内存中读取其词元用到的专家，与“规划”页相同；其他引擎下为灰色。稠密模型照旧卸载</translation>
    </message>
    <message>
        <source>System RAM bandwidth for the offloaded layers, as on the Plan tab (platform default: dual-channel DDR5-4800, 76.8 GB/s; an Apple chip&apos;s own)</source>
        <translation>卸载层所用的系统内存带宽，与“规划”页相同（平台默认：双通道 DDR5-4800，76.8 GB/s；Apple 芯片用其自身带宽）</translation>
    </message>
    <message>
        <source>Context you want to run at</source>
        <translation>你想使用的上下文长度</translation>
    </message>
    <message>
        <source>Engine for the non-GGUF formats</source>
        <translation>非 GGUF 格式所用的引擎</translation>
    </message>
    <message>
        <source>What runs the GGUF formats: llama.cpp, or Ollama with the context it picks by the GPU memory (or with num_ctx set: the context here)</source>
        <translation>运行 GGUF 格式的程序：llama.cpp，或按显存选定上下文的 Ollama（设置了 num_ctx 时：即此处的上下文）</translation>
    </message>
    <message>
        <source>The CPU HF transformers launches its kernels from, which bounds its decode from below (auto: by the card)</source>
        <translation>HF transformers 从这颗 CPU 启动内核，它给解码时间设了下限（自动：按卡判断）</translation>
    </message>
    <message>
        <source>Double-click (or press Enter on) a row to open it as the current scenario</source>
        <translation>双击一行（或选中后按回车）把它设为当前场景</translation>
    </message>
    <message>
        <source>{family}: {n} B parameters</source>
        <translation>{family}：{n} B 参数</translation>
    </message>
    <message>
        <source>{n} cards do not split this model&apos;s {h} attention heads and {kv} KV heads evenly: vLLM and SGLang refuse to start so. The figures are as if it ran; open the row and set stages to split the cards.</source>
        <translation>{n} 张卡无法均分此模型的 {h} 个注意力头和 {kv} 个 KV 头：vLLM 和 SGLang 会因此拒绝启动。所示数字按其能运行估算；打开此行并设置流水线阶段来划分这些卡。</translation>
    </message>
    <message>
        <source>Published perplexity {ppl} on {dataset}{note}.
Source: {source}</source>
        <translation>已发表的困惑度 {ppl}（{dataset}{note}）。
来源：{source}</translation>
    </message>
    <message>
        <source>{ram} GB of RAM</source>
        <translation>{ram} GB 内存</translation>
    </message>
    <message>
        <source>{ram} GB of RAM ({bw} GB/s)</source>
        <translation>{ram} GB 内存（{bw} GB/s）</translation>
    </message>
    <message>
        <source>{n} model × format combinations run on {cards} × {card} with {ram} at {context} tokens. No quality is scored: bits per weight are shown as they are; a ✓ marks a format with a published perplexity (hover it).</source>
        <translation>在 {cards} × {card}、{ram}、{context} 个 token 的上下文下，有 {n} 种模型 × 格式组合可以运行。这里不评估模型质量：每权重位数按原样列出；带 ✓ 的格式附有已发表的困惑度（鼠标悬停查看）。</translation>
    </message>
    <message>
        <source>On an Apple chip: llama.cpp&apos;s GGUF formats, MLX&apos;s formats with mlx-lm, and with HF transformers its 16-bit ones (vLLM and SGLang do not run on its GPU).</source>
        <translation>在 Apple 芯片上：llama.cpp 的 GGUF 格式、mlx-lm 运行的 MLX 格式，以及 HF transformers 的 16 位格式（vLLM 和 SGLang 不能在其 GPU 上运行）。</translation>
    </message>
    <message>
        <source>The GGUF rows run on Ollama, which holds its default context on {gib} GiB of GPU memory, {tokens} tokens a sequence (a model&apos;s own limit, where lower), whatever the context here.</source>
        <translation>GGUF 行由 Ollama 运行：它在 {gib} GiB 显存上保持默认上下文，每个序列 {tokens} 个 token（模型自身上限更低时取其上限），与此处的上下文无关。</translation>
    </message>
    <message>
        <source>{what} does not list this card ({target}): its rows time it as it runs on the cards it lists, and it may not run here at all.</source>
        <translation>{what} 未列出此卡（{target}）：其各行按它在所列显卡上的运行计时，它也可能根本无法在此运行。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Reading the charts</source>
        <extracomment>The event a change posts to have the window redrawn (:meth:`MainWindow.schedule`). How long the edits must pause before the fit table&apos;s offloaded rows get their largest prompt with the System RAM [ms], and how long each slice of that work runs before the window takes its events again [s].</extracomment>
        <translation>如何阅读图表</translation>
    </message>
    <message>
        <source>About vramgui</source>
        <translation>关于 vramgui</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Scenario</source>
        <translation>场景(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Export memory chart as PNG…</source>
        <translation>将显存图导出为 PNG…</translation>
    </message>
    <message>
        <source>Export speed chart as PNG…</source>
        <translation>将速度图导出为 PNG…</translation>
    </message>
    <message>
        <source>Export memory chart as SVG…</source>
        <translation>将显存图导出为 SVG…</translation>
    </message>
    <message>
        <source>Export speed chart as SVG…</source>
        <translation>将速度图导出为 SVG…</translation>
    </message>
    <message>
        <source>Export report (Markdown or JSON)…</source>
        <translation>导出报告（Markdown 或 JSON）…</translation>
    </message>
    <message>
        <source>Copy summary</source>
        <translation>复制摘要</translation>
    </message>
    <message>
        <source>Import model file…</source>
        <translation>导入模型文件…</translation>
    </message>
    <message>
        <source>Import model folder…</source>
        <translation>导入模型文件夹…</translation>
    </message>
    <message>
        <source>Save model as a user preset</source>
        <translation>将模型保存为用户预设</translation>
    </message>
    <message>
        <source>Add a custom GPU…</source>
        <translation>添加自定义 GPU…</translation>
    </message>
    <message>
        <source>Remove the selected user preset…</source>
        <translation>删除选中的用户预设…</translation>
    </message>
    <message>
        <source>Load measured points (CSV or JSONL)…</source>
        <translation>加载实测数据点（CSV 或 JSONL）…</translation>
    </message>
    <message>
        <source>Clear measured points</source>
        <translation>清除实测数据点</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>Pin current scenario</source>
        <translation>固定当前场景</translation>
    </message>
    <message>
        <source>Clear pinned scenarios</source>
        <translation>清除固定的场景</translation>
    </message>
    <message>
        <source>Recent imports</source>
        <translation>最近导入</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>vramgui — will this LLM run on this GPU?</source>
        <translation>vramgui — 这个大模型能在这块 GPU 上跑吗？</translation>
    </message>
    <message>
        <source>Plan</source>
        <translation>规划</translation>
    </message>
    <message>
        <source>My machine</source>
        <translation>我的机器</translation>
    </message>
    <message>
        <source>Compare pinned</source>
        <translation>对比固定的场景</translation>
    </message>
    <message>
        <source>Memory in GiB (2^30 bytes). Hover a number for its formula.</source>
        <translation>显存单位为 GiB（2^30 字节）。鼠标悬停在数字上可查看公式。</translation>
    </message>
    <message>
        <source>Fine-tuning {model} on {gpu}</source>
        <translation>在 {gpu} 上微调 {model}</translation>
    </message>
    <message>
        <source>{cost} per million tokens at batch {batch}, offloaded</source>
        <translation>批量 {batch} 时每百万 token {cost}（卸载）</translation>
    </message>
    <message>
        <source>{cost} per million tokens at batch {batch}, offloaded, decode only</source>
        <translation>批量 {batch} 时每百万 token {cost}（卸载，仅解码）</translation>
    </message>
    <message>
        <source>As the offload plans it ({plan}): {rate} generated tokens/s in all, prompts included.</source>
        <translation>按卸载方案（{plan}）：总共每秒生成 {rate} 个 token（含提示词处理）。</translation>
    </message>
    <message>
        <source>As the offload plans it ({plan}): {rate} generated tokens/s in all.</source>
        <translation>按卸载方案（{plan}）：总共每秒生成 {rate} 个 token。</translation>
    </message>
    <message>
        <source>{cost} per million tokens at batch {batch}, decode only</source>
        <translation>批量 {batch} 时每百万 token {cost}（仅解码）</translation>
    </message>
    <message>
        <source>weights {format}</source>
        <translation>权重为 {format}</translation>
    </message>
    <message>
        <source>KV cache {kv}, the default of vLLM and SGLang for it</source>
        <translation>KV 缓存为 {kv}（vLLM 和 SGLang 对它的默认值）</translation>
    </message>
    <message>
        <source>Imported {name}: {settings}, as its quantization config states.</source>
        <translation>已导入 {name}：{settings}，按其量化配置所述。</translation>
    </message>
    <message>
        <source>{cost} per million tokens at batch {batch}</source>
        <translation>批量 {batch} 时每百万 token {cost}</translation>
    </message>
    <message>
        <source>Export memory sweep as CSV…</source>
        <translation>将显存扫描数据导出为 CSV…</translation>
    </message>
    <message>
        <source>Export speed sweep as CSV…</source>
        <translation>将速度扫描数据导出为 CSV…</translation>
    </message>
    <message>
        <source>Export card table as CSV…</source>
        <translation>将显卡表导出为 CSV…</translation>
    </message>
    <message>
        <source>Export My machine table as CSV…</source>
        <translation>将“我的机器”表导出为 CSV…</translation>
    </message>
    <message>
        <source>{cost} at batch {batch}, cheapest</source>
        <translation>批量 {batch}（最便宜）时 {cost}</translation>
    </message>
    <message>
        <source>At batch {batch} ({plan}) the plans serve the most: {rate} tokens/s in all, the first tokens after {time}.</source>
        <translation>批量 {batch}（{plan}）时卸载方案的服务吞吐最高：总共每秒 {rate} 个 token，首批 token 在 {time} 后生成。</translation>
    </message>
    <message>
        <source>At batch {batch} ({plan}) the plans serve the most: {rate} tokens/s in all.</source>
        <translation>批量 {batch}（{plan}）时卸载方案的服务吞吐最高：总共每秒 {rate} 个 token。</translation>
    </message>
    <message>
        <source>{cost} at batch {batch}, cheapest that fits</source>
        <translation>批量 {batch}（能放下的批量中最便宜）时 {cost}</translation>
    </message>
    <message>
        <source>Will it fit?</source>
        <translation>放得下吗？</translation>
    </message>
    <message>
        <source>Explain</source>
        <translation>公式说明</translation>
    </message>
    <message>
        <source>Layouts</source>
        <translation>布局</translation>
    </message>
    <message>
        <source>The same cards split every way the engine allows, at the same load: fewer, larger groups or more, smaller ones</source>
        <translation>同样的卡按引擎允许的各种方式拆分，负载相同：组更少更大，或更多更小</translation>
    </message>
    <message>
        <source>&amp;Explain</source>
        <translation>公式说明(&amp;E)</translation>
    </message>
    <message>
        <source>The formula, your numbers and the source behind every number</source>
        <translation>每个数字背后的公式、代入的数值和出处</translation>
    </message>
    <message>
        <source>&amp;Theme</source>
        <translation>主题(&amp;T)</translation>
    </message>
    <message>
        <source>{prompt} ({cached} cached)</source>
        <translation>{prompt}（{cached} 个已缓存）</translation>
    </message>
    <message>
        <source>{model} on {n} × {gpu}
{weights} · {engine} · prompt {prompt} + output {output} · batch {batch}</source>
        <translation>{model}，{n} × {gpu}
{weights} · {engine} · 提示词 {prompt} + 输出 {output} · 批大小 {batch}</translation>
    </message>
    <message>
        <source>Import model folder</source>
        <translation>导入模型文件夹</translation>
    </message>
    <message>
        <source>Import model file</source>
        <translation>导入模型文件</translation>
    </message>
    <message>
        <source>Model files ({patterns});;All files (*)</source>
        <translation>模型文件 ({patterns});;所有文件 (*)</translation>
    </message>
    <message>
        <source>Model not imported</source>
        <translation>模型未导入</translation>
    </message>
    <message>
        <source>Imported {name}. Note: {note}</source>
        <translation>已导入 {name}。注意：{note}</translation>
    </message>
    <message>
        <source>Imported {name} ({source}).</source>
        <translation>已导入 {name}（{source}）。</translation>
    </message>
    <message>
        <source>Weights set to {format}, the format {model} is published in (pick another format to compare).</source>
        <translation>权重已设为 {format}，即 {model} 发布时的格式（可另选格式比较）。</translation>
    </message>
    <message>
        <source>{entry} (not found)</source>
        <translation>{entry}（找不到）</translation>
    </message>
    <message>
        <source>{path} no longer exists</source>
        <translation>{path} 已不存在</translation>
    </message>
    <message>
        <source>No imports yet</source>
        <translation>还没有导入过</translation>
    </message>
    <message>
        <source>Clear the list</source>
        <translation>清空列表</translation>
    </message>
    <message>
        <source>Preset not saved</source>
        <translation>预设未保存</translation>
    </message>
    <message>
        <source>Saved {name} as {path}.</source>
        <translation>已将 {name} 保存为 {path}。</translation>
    </message>
    <message>
        <source>Card not saved</source>
        <translation>显卡未保存</translation>
    </message>
    <message>
        <source>The selected model and card are built-in presets.</source>
        <translation>选中的模型和显卡都是内置预设。</translation>
    </message>
    <message>
        <source>Remove preset</source>
        <translation>删除预设</translation>
    </message>
    <message>
        <source>Remove the user preset &apos;{id}&apos;?</source>
        <translation>删除用户预设“{id}”吗？</translation>
    </message>
    <message>
        <source>Preset not removed</source>
        <translation>预设未删除</translation>
    </message>
    <message>
        <source>Removed the user preset &apos;{id}&apos; (it stays selected until you pick another).</source>
        <translation>已删除用户预设“{id}”（在你选择其他项之前它仍保持选中）。</translation>
    </message>
    <message>
        <source>Load measured points</source>
        <translation>加载实测数据点</translation>
    </message>
    <message>
        <source>Measured points ({patterns});;All files (*)</source>
        <translation>实测数据点 ({patterns});;所有文件 (*)</translation>
    </message>
    <message>
        <source>Measured points not loaded</source>
        <translation>实测数据点未加载</translation>
    </message>
    <message>
        <source>{n} measured points from {file}; hover a marker for its error against the estimate.</source>
        <translation>已从 {file} 加载 {n} 个实测数据点；鼠标悬停在标记上可查看它与估算值的误差。</translation>
    </message>
    <message>
        <source>Export chart</source>
        <translation>导出图表</translation>
    </message>
    <message>
        <source>PNG width</source>
        <translation>PNG 宽度</translation>
    </message>
    <message>
        <source>Width in pixels (default: twice the chart, sharp on slides):</source>
        <translation>宽度（像素；默认为图表的两倍，放在幻灯片上也清晰）：</translation>
    </message>
    <message>
        <source>Export data</source>
        <translation>导出数据</translation>
    </message>
    <message>
        <source>Export card table</source>
        <translation>导出显卡表</translation>
    </message>
    <message>
        <source>Export My machine table</source>
        <translation>导出“我的机器”表</translation>
    </message>
    <message>
        <source>Export report</source>
        <translation>导出报告</translation>
    </message>
    <message>
        <source>Summary copied to the clipboard.</source>
        <translation>摘要已复制到剪贴板。</translation>
    </message>
</context>
<context>
    <name>MemoryChart</name>
    <message>
        <source>Fine-tuning memory per card vs sequence length</source>
        <extracomment>Ranges an axis or a grid keeps what it drew for (the charts&apos; ranges come back: see ChartAxis). Size of each tick label as the painter measures it, per (font, text): laying out the ticks measured every label anew (41 measurements for a linear memory axis).</extracomment>
        <translation>微调时每卡显存随序列长度的变化</translation>
    </message>
    <message>
        <source>sequence length (tokens)</source>
        <translation>序列长度 (token)</translation>
    </message>
    <message>
        <source>sequence {n}</source>
        <translation>序列 {n}</translation>
    </message>
    <message>
        <source>largest sequence that fits: {n}</source>
        <translation>放得下的最长序列：{n}</translation>
    </message>
    <message>
        <source>Memory per card vs prompt length</source>
        <translation>每卡显存随提示词长度的变化</translation>
    </message>
    <message>
        <source>prompt tokens</source>
        <translation>提示词 token 数</translation>
    </message>
    <message>
        <source>prompt {n}</source>
        <translation>提示词 {n}</translation>
    </message>
    <message>
        <source>prompt {n} + {out} output: past the model&apos;s limit</source>
        <translation>提示词 {n} + 输出 {out}：超出模型上限</translation>
    </message>
    <message>
        <source>largest prompt that fits: {n}</source>
        <translation>放得下的最长提示词：{n}</translation>
    </message>
    <message>
        <source>spills to system RAM</source>
        <translation>溢出到系统内存</translation>
    </message>
    <message>
        <source>kept in system RAM</source>
        <translation>保留在系统内存</translation>
    </message>
    <message>
        <source>largest prompt with system RAM: {n}</source>
        <translation>加上系统内存的最长提示词：{n}</translation>
    </message>
    <message>
        <source>with system RAM, fits beyond {n}</source>
        <translation>加上系统内存，超过 {n} 仍放得下</translation>
    </message>
    <message>
        <source>beyond the model&apos;s limit ({n} tokens)</source>
        <translation>超出模型上限（{n} 个 token）</translation>
    </message>
    <message>
        <source>memory per card (GiB)</source>
        <translation>每卡显存 (GiB)</translation>
    </message>
    <message>
        <source>{card}: {size} GiB, all usable</source>
        <translation>{card}：{size} GiB，全部可用</translation>
    </message>
    <message>
        <source>{card}: {size} GiB</source>
        <translation>{card}：{size} GiB</translation>
    </message>
    <message>
        <source>usable {size} GiB</source>
        <translation>可用 {size} GiB</translation>
    </message>
    <message>
        <source>fits beyond {n}</source>
        <translation>超过 {n} 仍放得下</translation>
    </message>
    <message>
        <source>{card}: usable {usable} of {size} GiB</source>
        <translation>{card}：{size} GiB 中可用 {usable}</translation>
    </message>
    <message>
        <source>{n} tokens</source>
        <extracomment>Where a rule&apos;s label may sit along its line (fraction of the plot&apos;s width), first choice first. Where the pinned scenarios&apos; legend may sit, first choice first: (its corner, the plot&apos;s corner, offset in pixels; None: under the bands&apos; legend). Bottom right leaves room for the note on the prompts past the model&apos;s limit.</extracomment>
        <translation>{n} 个 token</translation>
    </message>
    <message>
        <source>{band} {size} GiB</source>
        <translation>{band} {size} GiB</translation>
    </message>
    <message>
        <source>total {size} GiB</source>
        <translation>总计 {size} GiB</translation>
    </message>
    <message>
        <source>{kept} GiB kept in system RAM</source>
        <translation>{kept} GiB 保留在系统内存</translation>
    </message>
    <message>
        <source>more than the card&apos;s usable {size} GiB</source>
        <translation>超出显卡可用的 {size} GiB</translation>
    </message>
    <message>
        <source>more than the card and the system RAM hold</source>
        <translation>超出显卡与系统内存的容量</translation>
    </message>
    <message>
        <source>the rest from system RAM</source>
        <translation>其余放在系统内存</translation>
    </message>
    <message>
        <source>beyond the model&apos;s limit</source>
        <translation>超出模型上限</translation>
    </message>
</context>
<context>
    <name>ScenarioPanel</name>
    <message>
        <source>Filter models…</source>
        <translation>筛选模型…</translation>
    </message>
    <message>
        <source>Import…</source>
        <translation>导入…</translation>
    </message>
    <message>
        <source>engine default</source>
        <translation>引擎默认</translation>
    </message>
    <message>
        <source>no offload</source>
        <translation>不卸载</translation>
    </message>
    <message>
        <source>auto (--fit)</source>
        <extracomment>Where the MoE experts are: as llama-server&apos;s --fit places them (the experts of as few layers as needed in RAM); &quot;all&quot; is --cpu-moe, &quot;first N&quot; --n-cpu-moe N.</extracomment>
        <translation>自动 (--fit)</translation>
    </message>
    <message>
        <source>all {n} layers</source>
        <translation>全部 {n} 层</translation>
    </message>
    <message>
        <source>first {n} layers</source>
        <translation>前 {n} 层</translation>
    </message>
    <message>
        <source>{need} of {usable} GiB, {verdict}</source>
        <extracomment>an entry of a picker&apos;s list (card, weights, KV cache, engine), after its name: the memory the scenario needs a card with it, of the usable, and the fit table&apos;s verdict</extracomment>
        <translation>{need} / {usable} GiB，{verdict}</translation>
    </message>
    <message>
        <source>platform default</source>
        <translation>平台默认</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>未设置</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Filter models</source>
        <translation>筛选模型</translation>
    </message>
    <message>
        <source>Compare cards</source>
        <translation>对比显卡</translation>
    </message>
    <message>
        <source>Prompt tokens</source>
        <translation>提示词 token 数</translation>
    </message>
    <message>
        <source>Output tokens</source>
        <translation>输出 token 数</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>Sequence length</source>
        <translation>序列长度</translation>
    </message>
    <message>
        <source>Micro-batch</source>
        <translation>微批大小</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>模式</translation>
    </message>
    <message>
        <source>GPU</source>
        <translation>GPU</translation>
    </message>
    <message>
        <source>Number of GPUs</source>
        <translation>GPU 数量</translation>
    </message>
    <message>
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>KV cache</source>
        <translation>KV 缓存</translation>
    </message>
    <message>
        <source>Engine</source>
        <translation>推理引擎</translation>
    </message>
    <message>
        <source>Attention</source>
        <translation>注意力实现</translation>
    </message>
    <message>
        <source>Memory cap</source>
        <translation>显存上限</translation>
    </message>
    <message>
        <source>Already used</source>
        <translation>已占用</translation>
    </message>
    <message>
        <source>Method</source>
        <translation>方法</translation>
    </message>
    <message>
        <source>Optimizer</source>
        <translation>优化器</translation>
    </message>
    <message>
        <source>LoRA rank</source>
        <translation>LoRA 秩</translation>
    </message>
    <message>
        <source>LoRA targets</source>
        <translation>LoRA 目标层</translation>
    </message>
    <message>
        <source>Checkpointing</source>
        <translation>梯度检查点</translation>
    </message>
    <message>
        <source>ZeRO</source>
        <translation>ZeRO</translation>
    </message>
    <message>
        <source>System RAM</source>
        <translation>系统内存</translation>
    </message>
    <message>
        <source>RAM bandwidth</source>
        <translation>内存带宽</translation>
    </message>
    <message>
        <source>Experts in RAM</source>
        <translation>内存中的专家</translation>
    </message>
    <message>
        <source>Price / card-hour</source>
        <translation>每卡每小时价格</translation>
    </message>
    <message>
        <source>Inference</source>
        <translation>推理</translation>
    </message>
    <message>
        <source>Fine-tuning</source>
        <translation>微调</translation>
    </message>
    <message>
        <source>As stored in the imported file</source>
        <translation>按导入文件中的存储格式</translation>
    </message>
    <message>
        <source>Textbook estimate: no engine&apos;s allocations or overheads</source>
        <translation>教科书式估算：不含任何引擎的分配与开销</translation>
    </message>
    <message>
        <source>Serving engine: a static share of the free memory (mem_fraction_static, by default from the card&apos;s size) holds the weights and the KV pool; activations and CUDA graphs run in the rest</source>
        <translation>推理服务引擎：空闲显存的固定份额（mem_fraction_static，默认按显卡容量确定）容纳权重和 KV 池；激活和 CUDA 图使用其余部分</translation>
    </message>
    <message>
        <source>Current builds (llama-server, llama-cli): the whole context&apos;s cache at load, flash attention on, logits for one token a sequence; decode measured per backend (CUDA graphs on NVIDIA, Metal on Apple, ROCm on AMD)</source>
        <translation>当前版本（llama-server、llama-cli）：加载时即分配整个上下文的缓存，默认开启 flash attention，每个序列只预留一个词元的 logits；解码速度按后端实测（NVIDIA 用 CUDA 图，Apple 用 Metal，AMD 用 ROCm）</translation>
    </message>
    <message>
        <source>Builds before May 2024 (Dec 2023 measurements): the host launches every op, about 0.2 ms a layer; logits for every token of a batch, as llama-bench still reserves</source>
        <translation>2024 年 5 月之前的版本（2023 年 12 月实测）：主机逐个启动算子，每层约 0.2 ms；为批次中每个词元预留 logits（llama-bench 至今如此）</translation>
    </message>
    <message>
        <source>Ollama as installed: llama.cpp&apos;s llama-server with the whole context Ollama picks by the GPU memory it sees (4K tokens under 23 GiB, 32K under 47 GiB, else 256K, at most the model&apos;s own), 1 GiB left free on each card, and about 0.9 ms a token of sampling on the CPU</source>
        <translation>按默认安装的 Ollama：llama.cpp 的 llama-server，上下文为 Ollama 按其看到的显存整体选定的长度（23 GiB 以下 4K token，47 GiB 以下 32K，其余 256K，不超过模型自身上限），每张卡留出 1 GiB 空闲，CPU 上的采样每个 token 约 0.9 ms</translation>
    </message>
    <message>
        <source>HF transformers launches every kernel from Python on one CPU core, which bounds its decode from below: about {desktop} ms a layer on a desktop, {server} on a server, {older} on an older server (those of the cards before 2020: V100, T4). Auto goes by the card: data-centre cards sit in servers of their years, the others in desktops. The other engines launch a step at once: no effect</source>
        <translation>HF transformers 在一个 CPU 核心上由 Python 逐个启动内核，这给解码时间设了下限：台式机每层约 {desktop} ms，服务器 {server} ms，旧服务器（2020 年以前的卡所在的服务器：V100、T4）{older} ms。自动：按卡判断，数据中心卡装在同年代的服务器里，其他卡装在台式机里。其他引擎一次启动整个步骤：无影响</translation>
    </message>
    <message>
        <source>Pipeline-parallel stages the cards form: each stage holds a share of the layers on cards / stages cards (tensor parallel within it); a step passes every stage, the batch is split into one micro-batch per stage. vLLM, SGLang and the generic engine; HF and llama.cpp split the layers over the cards already</source>
        <translation>这些卡组成的流水线并行级数：每一级在（卡数 / 级数）张卡上持有一部分层（级内为张量并行）；每一步都要经过所有级，批次按级拆分为微批次。适用于 vLLM、SGLang 和通用引擎；HF 和 llama.cpp 本身已按层把模型分到各卡上</translation>
    </message>
    <message>
        <source>Share of the card the engine may use (vLLM gpu_memory_utilization; SGLang mem_fraction_static, a share of the free memory)</source>
        <translation>引擎可使用的显卡显存份额（vLLM 的 gpu_memory_utilization；SGLang 的 mem_fraction_static，为空闲显存的份额）</translation>
    </message>
    <message>
        <source>stages</source>
        <translation>级</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>auto (the least)</source>
        <extracomment>vLLM&apos;s --cpu-offload-gb left to the plan: the least a card keeps in RAM for the rest to fit</extracomment>
        <translation>自动（最少）</translation>
    </message>
    <message>
        <source>{n} GiB</source>
        <translation>{n} GiB</translation>
    </message>
    <message>
        <source>The scenario needs {need} GiB a card of the {usable} GiB usable: {verdict}</source>
        <extracomment>an entry&apos;s tooltip in a picker&apos;s list (card, weights, KV cache, engine)</extracomment>
        <translation>该场景每卡需要 {need} GiB（可用 {usable} GiB）：{verdict}</translation>
    </message>
    <message>
        <source>pinned</source>
        <translation>锁页</translation>
    </message>
    <message>
        <source>experts only</source>
        <translation>仅专家</translation>
    </message>
    <message>
        <source>16-bit weights in fp32</source>
        <translation>16 位权重升为 fp32</translation>
    </message>
    <message>
        <source>mamba-ssm kernels</source>
        <translation>mamba-ssm 内核</translation>
    </message>
    <message>
        <source>padded micro-batches</source>
        <translation>填充的微批次</translation>
    </message>
    <message>
        <source>Host CPU</source>
        <translation>主机 CPU</translation>
    </message>
    <message>
        <source>Of them cached</source>
        <translation>其中已缓存</translation>
    </message>
    <message>
        <source>Optimizer step</source>
        <translation>优化器步骤</translation>
    </message>
    <message>
        <source>QLoRA upcast</source>
        <translation>QLoRA 升精度</translation>
    </message>
    <message>
        <source>Mamba-2 layers</source>
        <translation>Mamba-2 层</translation>
    </message>
    <message>
        <source>Padding</source>
        <translation>填充</translation>
    </message>
    <message>
        <source>Gradient accumulation</source>
        <translation>梯度累积</translation>
    </message>
    <message>
        <source>PyTorch allocator</source>
        <translation>PyTorch 分配器</translation>
    </message>
    <message>
        <source>Weights in RAM</source>
        <translation>内存中的权重</translation>
    </message>
    <message>
        <source>. On AMD cards (ROCm) its decode draws {share} % of the bandwidth (measured on an MI300X)</source>
        <translation>。在 AMD 显卡（ROCm）上，其解码只用到带宽的 {share}%（在 MI300X 上测得）</translation>
    </message>
    <message>
        <source>model.generate() in PyTorch: the cache grows with the tokens; Python launches every kernel (about {desktop} ms a layer on a desktop, {server} ms on a data-centre card&apos;s server)</source>
        <translation>PyTorch 中的 model.generate()：缓存随 token 增长；每个内核都由 Python 启动（台式机每层约 {desktop} ms，数据中心卡所在服务器每层约 {server} ms）</translation>
    </message>
    <message>
        <source>Serving engine: 92 % of the card (90 % before 2026), the rest after weights becomes KV blocks; steps run as CUDA graphs</source>
        <translation>推理服务引擎：使用显卡的 92%（2026 年以前为 90%），权重之外的剩余部分作为 KV 块；每步以 CUDA 图运行</translation>
    </message>
    <message>
        <source>Ollama with num_ctx set (a request&apos;s options, a Modelfile, OLLAMA_CONTEXT_LENGTH; Open WebUI sends 2,048 by default): the context is prompt + output</source>
        <translation>设置了 num_ctx 的 Ollama（请求的 options、Modelfile 或 OLLAMA_CONTEXT_LENGTH；Open WebUI 默认发送 2,048）：上下文即提示 + 输出</translation>
    </message>
    <message>
        <source>The Vulkan build (any vendor&apos;s card, AMD on Windows): the same memory; decode measured on 2025-2026 builds, Intel cards apart</source>
        <translation>Vulkan 版本（任意厂商的显卡，Windows 上的 AMD）：内存相同；解码速度按 2025-2026 年的版本测得，Intel 显卡单独计算</translation>
    </message>
    <message>
        <source>auto ({host})</source>
        <translation>自动（{host}）</translation>
    </message>
    <message>
        <source>desktop</source>
        <translation>台式机</translation>
    </message>
    <message>
        <source>server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <source>older server</source>
        <translation>旧服务器</translation>
    </message>
    <message>
        <source>Full fine-tuning</source>
        <translation>全参数微调</translation>
    </message>
    <message>
        <source>QLoRA (NF4 base)</source>
        <translation>QLoRA（NF4 基座）</translation>
    </message>
    <message>
        <source>AdamW (mixed precision)</source>
        <translation>AdamW（混合精度）</translation>
    </message>
    <message>
        <source>AdamW (pure bf16)</source>
        <translation>AdamW（纯 bf16）</translation>
    </message>
    <message>
        <source>AdamW 8-bit</source>
        <translation>AdamW 8 位</translation>
    </message>
    <message>
        <source>SGD + momentum</source>
        <translation>SGD + 动量</translation>
    </message>
    <message>
        <source>fused (in place)</source>
        <translation>fused（原地更新）</translation>
    </message>
    <message>
        <source>foreach (PyTorch&apos;s default)</source>
        <translation>foreach（PyTorch 默认）</translation>
    </message>
    <message>
        <source>off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>selective</source>
        <translation>选择性</translation>
    </message>
    <message>
        <source>full</source>
        <translation>完全</translation>
    </message>
    <message>
        <source>caching (default)</source>
        <translation>缓存池（默认）</translation>
    </message>
    <message>
        <source>expandable segments</source>
        <translation>可扩展段</translation>
    </message>
    <message>
        <source>The weights in RAM are in pinned host memory (llama.cpp --no-mmap, or GGML_CUDA_REGISTER_HOST=1): a prompt&apos;s passes copy them to the card at {pinned} % of its link, not {mapped} % (measured). Under vLLM and SGLang, which pin them anyway, the box reads experts only</source>
        <translation>内存中的权重位于锁页主机内存（llama.cpp --no-mmap，或 GGML_CUDA_REGISTER_HOST=1）：提示词的各次前向以链路的 {pinned} % 而非 {mapped} % 把它们复制到显卡（实测）。在 vLLM 和 SGLang 下（它们总会锁页）此框改为“仅专家”</translation>
    </message>
    <message>
        <source>vLLM, an MoE model: only the routed experts&apos; weights go to RAM (--cpu-offload-params with their names, e.g. w13_weight w2_weight), and a step reads there only the experts its tokens use; without it the offloader takes every weight of the first layers, attention and router too, which every token reads (vLLM issue 54593: 4.26 tokens/s, with the experts only 9.46). Greyed under SGLang and HF transformers and for dense models; llama.cpp&apos;s pinned RAM under the engines that split layers</source>
        <translation>vLLM，MoE 模型：只把路由专家的权重放到内存（--cpu-offload-params 加上其参数名，如 w13_weight w2_weight），每步只在内存中读取其词元用到的专家；不勾选时卸载器按顺序取前几层的全部权重，包括每个词元都要读取的注意力和路由器（vLLM issue 54593：4.26 token/s，仅专家时 9.46）。在 SGLang、HF transformers 下和稠密模型下为灰色；在按层拆分的引擎下此框为 llama.cpp 的锁页内存</translation>
    </message>
    <message>
        <source>Plan serving (memory and speed) or fine-tuning (weights, gradients, optimizer states, activations)</source>
        <translation>规划推理部署（显存和速度）或微调（权重、梯度、优化器状态、激活）</translation>
    </message>
    <message>
        <source>Type part of a model&apos;s name or family to shorten the list</source>
        <translation>输入模型名称或系列的一部分以缩短列表</translation>
    </message>
    <message>
        <source>Model preset (built-in presets grouped by family, then your own)</source>
        <translation>模型预设（内置预设按系列分组，之后是你自己的预设）</translation>
    </message>
    <message>
        <source>Import a config.json, .safetensors, model.safetensors.index.json or .gguf (only headers are read); you can also drop files on the window</source>
        <translation>导入 config.json、.safetensors、model.safetensors.index.json 或 .gguf 文件（只读取文件头）；也可以把文件拖到窗口上</translation>
    </message>
    <message>
        <source>The card to plan for; choosing a row in the fit table does the same</source>
        <translation>要规划的显卡；在适配表中选择一行效果相同</translation>
    </message>
    <message>
        <source>Draw up to four more cards&apos; capacity and usable memory on the memory chart</source>
        <translation>在显存图上再画出最多四张卡的容量和可用显存</translation>
    </message>
    <message>
        <source>Weight format: effective bits include group scales and zeros; &apos;as stored&apos; uses the exact bytes of an imported .safetensors or .gguf file</source>
        <translation>权重格式：有效位数包含分组缩放因子和零点；“按存储格式”使用导入的 .safetensors 或 .gguf 文件的确切字节数</translation>
    </message>
    <message>
        <source>Element type of the KV cache; the types the engine has no flag for are greyed (vLLM and SGLang: 16-bit and FP8; llama.cpp and MLX: no FP8; Ollama: FP16, Q8_0, Q4_0; llama.cpp&apos;s builds of 2023: FP16, FP32), and Q8_0 and Q4_0 under llama.cpp and Ollama with eager attention, which need flash attention</source>
        <translation>KV 缓存的元素类型；引擎没有相应参数的类型为灰色（vLLM 和 SGLang：16 位和 FP8；llama.cpp 和 MLX：没有 FP8；Ollama：FP16、Q8_0、Q4_0；2023 年的 llama.cpp 版本：FP16、FP32），llama.cpp 和 Ollama 在 eager 注意力下的 Q8_0 和 Q4_0 也为灰色，它们需要 flash 注意力</translation>
    </message>
    <message>
        <source>Engine profile: what the engine allocates and when (hover the breakdown for details)</source>
        <translation>引擎配置：引擎分配什么、何时分配（悬停在明细栏上查看详情）</translation>
    </message>
    <message>
        <source>Eager attention materialises the score matrix (quadratic in the prompt); sdpa/flash do not. Eager is greyed under vLLM, SGLang and MLX, whose attention is always fused, and under llama.cpp and Ollama with a Q8_0 or Q4_0 cache, which needs flash attention</source>
        <translation>eager 注意力会实际生成注意力分数矩阵（随提示词长度呈平方增长）；sdpa/flash 不会。在 vLLM、SGLang 和 MLX 下 eager 为灰色，它们的注意力总是融合实现；在 llama.cpp 和 Ollama 使用 Q8_0 或 Q4_0 缓存时也为灰色，这类缓存需要 flash 注意力</translation>
    </message>
    <message>
        <source>Prompt tokens per sequence (log scale)</source>
        <translation>每个序列的提示词 token 数（对数刻度）</translation>
    </message>
    <message>
        <source>Tokens at the start of the prompt already in the KV cache (a chat&apos;s earlier turns, a system prompt the engine&apos;s prefix cache kept): only the rest is prefilled, so the time to first token falls; the memory holds the whole prompt either way. At most the prompt less one token</source>
        <translation>提示词开头已在 KV 缓存中的 token（对话的前几轮、引擎前缀缓存保留的系统提示词）：只预填充其余部分，首字延迟随之缩短；显存无论如何都容纳整个提示词。最多为提示词长度减一</translation>
    </message>
    <message>
        <source>Generated tokens per sequence (log scale)</source>
        <translation>每个序列生成的 token 数（对数刻度）</translation>
    </message>
    <message>
        <source>Concurrent sequences (log scale, 1-1024; type more in the box)</source>
        <translation>并发序列数（对数刻度，1–1024；更大的值可在输入框中键入）</translation>
    </message>
    <message>
        <source>Memory other programs already hold on each card (desktop, other jobs)</source>
        <translation>每张卡上其他程序已占用的显存（桌面、其他任务）</translation>
    </message>
    <message>
        <source>Which weights train: all of them, or low-rank adapters on a 16-bit or 4-bit base</source>
        <translation>训练哪些权重：全部权重，或在 16 位 / 4 位基座上训练低秩适配器</translation>
    </message>
    <message>
        <source>Optimizer states per trainable parameter: 12 bytes for mixed-precision AdamW down to none for plain SGD</source>
        <translation>每个可训练参数的优化器状态：混合精度 AdamW 为 12 字节，普通 SGD 则没有</translation>
    </message>
    <message>
        <source>AdamW&apos;s step: fused updates in place (fused=True, HF&apos;s Trainer); torch.optim.AdamW&apos;s default (foreach) takes the square root of every second moment into a new tensor once the activations are freed: one more moment&apos;s bytes a parameter, when that exceeds them</source>
        <translation>AdamW 的更新步骤：fused 原地更新（fused=True，HF Trainer 的默认）；torch.optim.AdamW 的默认（foreach）在激活释放后把每个二阶矩的平方根存入新张量：每个参数多占一份矩的字节数（超出激活所占时计入）</translation>
    </message>
    <message>
        <source>LoRA rank r: each adapted matrix gains r × (d_in + d_out) parameters</source>
        <translation>LoRA 秩 r：每个被适配的矩阵增加 r × (d_in + d_out) 个参数</translation>
    </message>
    <message>
        <source>Adapted matrices, comma-separated: q, k, v, o, gate, up, down, in_proj, out_proj (the recurrent mixers of hybrid models) or all-linear; a module that holds several (Phi-3&apos;s qkv_proj, gate_up_proj) is adapted whole where any of them is named</source>
        <translation>要适配的矩阵，用逗号分隔：q、k、v、o、gate、up、down、in_proj、out_proj（混合模型的循环混合层）或 all-linear；包含多个矩阵的模块（如 Phi-3 的 qkv_proj、gate_up_proj）只要点名其中之一便整体适配</translation>
    </message>
    <message>
        <source>QLoRA: peft&apos;s prepare_model_for_kbit_training casts the weights left in 16 bits (embeddings, LM head, norms) to fp32, two bytes more each; TRL&apos;s SFTTrainer, Axolotl and the QLoRA scripts call it, torchtune and Unsloth do not</source>
        <translation>QLoRA：peft 的 prepare_model_for_kbit_training 把仍为 16 位的权重（嵌入、LM 头、归一化）转为 fp32，每个多占两个字节；TRL 的 SFTTrainer、Axolotl 和 QLoRA 脚本会调用它，torchtune 和 Unsloth 不会</translation>
    </message>
    <message>
        <source>Gradient checkpointing: recompute activations in the backward pass</source>
        <translation>梯度检查点：在反向传播中重新计算激活</translation>
    </message>
    <message>
        <source>Micro-batches of several sequences padded to their longest, as a collator pads them (an attention mask with zeros): transformers&apos; SDPA then keeps the mask in every layer and repeats the keys and values to every head; unchecked, packed sequences or sequences of one length (no mask)</source>
        <translation>多条序列的微批次按最长序列填充（如数据整理器所做，注意力掩码含零）：transformers 的 SDPA 会在每层保存掩码，并把键和值复制到每个查询头；不勾选则为打包序列或等长序列（无掩码）</translation>
    </message>
    <message>
        <source>Mamba-2 layers through mamba-ssm&apos;s fused kernel (mamba-ssm and causal-conv1d installed), which keeps the input projection&apos;s output and the scan&apos;s output and recomputes the rest; unchecked, transformers&apos; torch path, ten times as much or more (read from mamba-ssm&apos;s source, not measured on a GPU)</source>
        <translation>Mamba-2 层经 mamba-ssm 的融合内核运行（已安装 mamba-ssm 和 causal-conv1d）：只保留输入投影的输出和扫描的输出，其余在反向传播中重算；不勾选则按 transformers 的 torch 路径计算，保留的量是其十倍或更多（依据 mamba-ssm 源码，未在 GPU 上实测）</translation>
    </message>
    <message>
        <source>Shard optimizer states (1), gradients (2) and weights (3) across the data-parallel cards</source>
        <translation>在数据并行的各卡之间切分优化器状态（1）、梯度（2）和权重（3）</translation>
    </message>
    <message>
        <source>Tokens per training sequence (log scale)</source>
        <translation>每条训练序列的 token 数（对数刻度）</translation>
    </message>
    <message>
        <source>Sequences per card per step (log scale)</source>
        <translation>每卡每步的序列数（对数刻度）</translation>
    </message>
    <message>
        <source>Micro-batches summed into one optimizer step: from the second on, the gradients stay in memory through the forward pass</source>
        <translation>一次优化器更新累加的微批次数：从第二个起，梯度在前向传播期间一直留在显存中</translation>
    </message>
    <message>
        <source>Where an MoE model&apos;s expert tensors live, attention and the rest staying on the GPU: auto, as current llama-server&apos;s --fit places them (the experts of as few layers as needed in RAM); the first N layers&apos; (--n-cpu-moe N, every layer on the GPU: -ngl 99); or all layers&apos; (--cpu-moe). llama.cpp&apos;s: greyed under vLLM, SGLang and HF transformers, which keep whole weights in RAM, under Ollama, which takes no such flag (whole layers move), under 2023&apos;s builds and MLX</source>
        <translation>MoE 模型的专家张量放在哪里（注意力等其余部分留在 GPU 上）：自动，按当前 llama-server 的 --fit 放置（只把所需最少层数的专家放入内存）；前 N 层的（--n-cpu-moe N，所有层都在 GPU 上：-ngl 99）；或所有层的（--cpu-moe）。这是 llama.cpp 的设置：在 vLLM、SGLang 和 HF transformers 下变灰，它们把整块权重留在内存中；在 Ollama 下变灰，它不接受此类参数（整层移动）；在 2023 年的版本和 MLX 下也变灰</translation>
    </message>
    <message>
        <source>vLLM and SGLang: the GiB of weights each card keeps in RAM and moves to the card for every pass (their --cpu-offload-gb): auto, the least that lets the rest fit; more leaves room for the cache and reads more every step; less than the rest needs does not run</source>
        <translation>vLLM 和 SGLang：每卡留在内存中、每次前向都搬到显卡上的权重 GiB 数（它们的 --cpu-offload-gb）：自动，即让其余部分放得下的最少量；更多则给缓存留出空间、每步读取更多；少于其余部分所需则无法运行</translation>
    </message>
    <message>
        <source>What one card costs you per hour (cloud price or your own amortised cost, any currency): the cost of a million generated tokens is shown below it. vramgui ships no prices</source>
        <translation>一张卡每小时的费用（云端价格或自行摊销的成本，任意货币）：下方显示生成一百万 token 的成本。vramgui 不内置任何价格</translation>
    </message>
    <message>
        <source>At most four cards can be compared at once.</source>
        <translation>最多只能同时对比四张卡。</translation>
    </message>
    <message>
        <source>Compare with… ({n})</source>
        <translation>对比…（{n}）</translation>
    </message>
    <message>
        <source>Compare with…</source>
        <translation>对比…</translation>
    </message>
    <message>
        <source>Data-parallel cards (ZeRO shards states across them)</source>
        <translation>数据并行的卡数（ZeRO 在它们之间切分状态）</translation>
    </message>
    <message>
        <source>Cards the model is split over (tensor parallel for vLLM/generic, layer split for HF and llama.cpp)</source>
        <translation>模型切分到的卡数（vLLM/通用为张量并行，HF 和 llama.cpp 为按层切分）</translation>
    </message>
    <message>
        <source>{source} · {size} GiB in {n} tensors ({dtype})</source>
        <translation>{source} · {size} GiB，共 {n} 个张量（{dtype}）</translation>
    </message>
    <message>
        <source>Not fully checked: part of the count is estimated (see the tooltip).</source>
        <translation>未完全核验：部分计数为估算（见提示）。</translation>
    </message>
    <message>
        <source>Pre-MLA GGUF: llama.cpp caches full keys and values (see the tooltip).</source>
        <translation>早于 MLA 的 GGUF：llama.cpp 缓存完整的键和值（见提示）。</translation>
    </message>
    <message>
        <source>SDPA takes PyTorch&apos;s math path here: fp32 scores (see the tooltip).</source>
        <translation>此处 SDPA 走 PyTorch 的数学路径：保存 fp32 注意力分数（见提示）。</translation>
    </message>
    <message>
        <source>Heads wider than flash-attn takes: choose sdpa (see the tooltip).</source>
        <translation>flash-attn 只支持不超过 256 的头宽：请选 sdpa（见提示）。</translation>
    </message>
    <message>
        <source>transformers has no flash attention for this model: choose sdpa (see the tooltip).</source>
        <translation>transformers 对此模型没有 flash attention：请选 sdpa（见提示）。</translation>
    </message>
    <message>
        <source>Gated DeltaNet layers: transformers&apos; torch path, without fla (see the tooltip).</source>
        <translation>Gated DeltaNet 层：按 transformers 未安装 fla 时的 torch 路径计算（见提示）。</translation>
    </message>
    <message>
        <source>Mamba-2 layers: transformers&apos; torch path, without mamba-ssm (see the tooltip).</source>
        <translation>Mamba-2 层：按 transformers 未安装 mamba-ssm 时的 torch 路径计算（见提示）。</translation>
    </message>
    <message>
        <source>Mamba-2 layers: mamba-ssm&apos;s kernel, read from its source (see the tooltip).</source>
        <translation>Mamba-2 层：按 mamba-ssm 内核计算，依据其源码（见提示）。</translation>
    </message>
    <message>
        <source>Mamba layers: transformers&apos; torch path, without mamba-ssm (see the tooltip).</source>
        <translation>Mamba 层：按 transformers 未安装 mamba-ssm 时的 torch 路径计算（见提示）。</translation>
    </message>
    <message>
        <source>Recurrent layers counted as attention layers: not modelled (see the tooltip).</source>
        <translation>循环层按注意力层计算：未建模（见提示）。</translation>
    </message>
    <message>
        <source>transformers runs this model eager unless asked for flash attention.</source>
        <translation>除非指定 flash attention，transformers 以 eager 注意力运行此模型。</translation>
    </message>
    <message>
        <source>transformers runs this model with eager attention only.</source>
        <translation>transformers 只能以 eager 注意力运行此模型。</translation>
    </message>
    <message>
        <source>peft refuses the plain module names on this checkpoint: name the language model&apos;s.</source>
        <translation>此检查点上 peft 拒绝直接使用模块名：请指定语言模型中的模块。</translation>
    </message>
    <message>
        <source>peft refuses out_proj on this model&apos;s Mamba layers.</source>
        <translation>peft 拒绝在此模型的 Mamba 层上适配 out_proj。</translation>
    </message>
    <message>
        <source>peft refuses gate without up (or up without gate) on this model.</source>
        <translation>此模型上 peft 拒绝只适配 gate 而不适配 up（或反之）。</translation>
    </message>
    <message>
        <source>LoRA adapts every routed expert here, and each layer keeps a copy of its experts for the backward pass.</source>
        <translation>此处 LoRA 适配每个路由专家，且每层为反向传播保留一份专家权重副本。</translation>
    </message>
    <message>
        <source>TP {n} spans {k} nodes: decode likely slower than shown.</source>
        <translation>TP {n} 跨越 {k} 个节点：解码可能比显示的更慢。</translation>
    </message>
    <message>
        <source>{n} cards are {k} machines: the network between them is not modelled.</source>
        <translation>{n} 张卡分属 {k} 台机器：它们之间的网络未建模。</translation>
    </message>
    <message>
        <source>A machine holds {m} of these cards. llama.cpp joins several over the network with its RPC backend (rpc-server on each, --rpc host:port), whose round trips each token the speeds here do not model: they take the card&apos;s own link.</source>
        <translation>一台机器容纳 {m} 张这样的卡。llama.cpp 通过其 RPC 后端（每台机器运行 rpc-server，--rpc host:port）经网络连接多台机器，每个词元的往返开销此处的速度未建模：速度按卡自身的互连计算。</translation>
    </message>
    <message>
        <source>A machine holds {m} of these cards. {engine} runs on one machine and does not join several: the figures are as if one machine held them.</source>
        <translation>一台机器容纳 {m} 张这样的卡。{engine} 只在一台机器上运行，不会连接多台：所示数字按一台机器容纳这些卡计算。</translation>
    </message>
    <message>
        <source>TP {n} does not split the {h} heads: {engine} will not start.</source>
        <translation>TP {n} 无法均分 {h} 个注意力头：{engine} 将无法启动。</translation>
    </message>
    <message>
        <source>Tensor parallel gives each card of a group an equal share of a layer&apos;s {h} attention heads and {kv} KV heads (where the KV heads are fewer than the cards, an equal number of cards holds a copy of each); {n} cards do not split them, and vLLM and SGLang refuse to start. The memory and speed shown are as if it ran. Groups of {sizes} cards split them.</source>
        <translation>张量并行让一组中的每张卡平均分得一层的 {h} 个注意力头和 {kv} 个 KV 头（KV 头少于卡数时，由相同数量的卡各持有一份副本）；{n} 张卡无法均分它们，vLLM 和 SGLang 会拒绝启动。所示显存和速度按其能运行估算。{sizes} 张卡一组可以均分。</translation>
    </message>
    <message>
        <source>Set stages to {stages} to split these cards so.</source>
        <translation>将流水线阶段设为 {stages}，即可这样划分这些卡。</translation>
    </message>
    <message>
        <source>Every card caches all sequences: DP attention holds up to {n}×.</source>
        <translation>每张卡都缓存全部序列：DP 注意力最多可容纳 {n} 倍。</translation>
    </message>
    <message>
        <source>llama.cpp with {n} sequences: decode likely slower than shown.</source>
        <translation>llama.cpp 同时 {n} 个序列：解码可能比所示更慢。</translation>
    </message>
    <message>
        <source>{format} weights do not run on this chip&apos;s GPU with {engine}.</source>
        <translation>{format} 权重无法用 {engine} 在此芯片的 GPU 上运行。</translation>
    </message>
    <message>
        <source>The figures time these weights as they run on NVIDIA and AMD cards. On a Mac, 16-bit weights with HF transformers and llama.cpp&apos;s GGUF formats run on the GPU.</source>
        <translation>这些数字按这些权重在 NVIDIA 和 AMD 显卡上的运行来计时。在 Mac 上，HF transformers 的 16 位权重和 llama.cpp 的 GGUF 格式在 GPU 上运行。</translation>
    </message>
    <message>
        <source>{engine} does not run on this card&apos;s GPU as modelled.</source>
        <translation>{engine} 在此显卡 GPU 上的运行未被建模。</translation>
    </message>
    <message>
        <source>The figures time the engine as it runs on Apple chips.</source>
        <translation>这些数字按该引擎在 Apple 芯片上的运行计时。</translation>
    </message>
    <message>
        <source>{engine} does not run on this chip&apos;s GPU.</source>
        <translation>{engine} 不能在此芯片的 GPU 上运行。</translation>
    </message>
    <message>
        <source>The figures time the engine as it runs on NVIDIA and AMD cards. On a Mac, llama.cpp (GGUF formats), MLX (its own formats) and HF transformers (PyTorch&apos;s MPS device) run on the GPU.</source>
        <translation>这些数字按该引擎在 NVIDIA 和 AMD 显卡上的运行计时。在 Mac 上，llama.cpp（GGUF 格式）、MLX（其自有格式）和 HF transformers（PyTorch 的 MPS 设备）在 GPU 上运行。</translation>
    </message>
    <message>
        <source>{engine} does not load {format} weights as stored.</source>
        <translation>{engine} 不能直接加载按原样存储的 {format} 权重。</translation>
    </message>
    <message>
        <source>{engine} leaves this model&apos;s routed experts in 16 bits.</source>
        <translation>{engine} 让该模型的路由专家保持 16 位。</translation>
    </message>
    <message>
        <source>{engine} allocates {tokens} tokens of context a sequence.</source>
        <translation>{engine} 为每个序列分配 {tokens} 个 token 的上下文。</translation>
    </message>
    <message>
        <source>Ollama&apos;s server/routes.go since v0.15.5, PR #13946</source>
        <translation>Ollama 的 server/routes.go，自 v0.15.5 起，PR #13946</translation>
    </message>
    <message>
        <source>Under {margin} MiB to spare: llama-server would move layers to RAM.</source>
        <translation>余量不足 {margin} MiB：llama-server 会把部分层移到内存。</translation>
    </message>
    <message>
        <source>Started without -c, llama-server would instead allocate {tokens} tokens of context, the most that fit with that much free.</source>
        <translation>若不加 -c 启动，llama-server 会改为分配 {tokens} 个 token 的上下文，即留出这么多空闲时能容纳的最大值。</translation>
    </message>
    <message>
        <source>{engine} loads {format} weights on one card: System RAM is not used.</source>
        <translation>{engine} 把 {format} 权重加载到一张卡上：不使用系统内存。</translation>
    </message>
    <message>
        <source>{engine} loads {format} weights on one card, not {n}.</source>
        <translation>{engine} 把 {format} 权重加载到一张卡上，而不是 {n} 张。</translation>
    </message>
    <message>
        <source>The memory and speed shown are as if it split the model over {n} cards.</source>
        <translation>所示显存和速度按其把模型分到 {n} 张卡上估算。</translation>
    </message>
    <message>
        <source>{engine} brings each module kept in RAM to the first card for its forward pass: that card keeps {gib} GiB free for the largest, as many more bytes in RAM, and the RAM keeps as much free.</source>
        <translation>{engine} 在每次前向计算时把留在内存中的模块搬到第一张卡上：该卡为其中最大的一个留出 {gib} GiB，内存中也就多放同样多的字节，内存也留出同样多的空闲。</translation>
    </message>
    <message>
        <source>{engine} runs every layer kept in RAM on the first card: each pass copies every card&apos;s share over that card&apos;s link in turn.</source>
        <translation>{engine} 在第一张卡上运行所有留在内存中的层：每次前向计算依次通过该卡的链路复制每张卡的那一份。</translation>
    </message>
    <message>
        <source>{what} lists NVIDIA compute capability {cc} or newer, below {below}.</source>
        <translation>{what} 列出的是计算能力 {cc} 或更新、但低于 {below} 的 NVIDIA 显卡。</translation>
    </message>
    <message>
        <source>{what} lists no AMD card.</source>
        <translation>{what} 未列出任何 AMD 显卡。</translation>
    </message>
    <message>
        <source>{engine} serves requests up to {tokens} tokens.</source>
        <translation>{engine} 只服务最长 {tokens} 个词元的请求。</translation>
    </message>
    <message>
        <source>{engine} takes the model&apos;s {limit} tokens of context but caps each request at the cache left beside the weights, {tokens} tokens: a longer prompt and output are refused. The figures here are for the prompt and output set.</source>
        <translation>{engine} 采用模型的 {limit} 个词元上下文，但把每个请求限制在权重之外剩余缓存所能容纳的 {tokens} 个词元：更长的提示和输出会被拒绝。此处的数字按所设的提示和输出计算。</translation>
    </message>
    <message>
        <source>{engine} needs {flag} {tokens} or less to start.</source>
        <translation>{engine} 需要 {flag} {tokens} 或更小才能启动。</translation>
    </message>
    <message>
        <source>Started without {flag}, {engine} takes the model&apos;s {limit} tokens of context and checks that one sequence of them fits in the cache left beside the weights: it does not, so it refuses to start. {tokens} tokens is the longest that fits (vLLM&apos;s {flag} auto picks it, since Nov 2025). The figures here are for the prompt and output set.</source>
        <translation>不加 {flag} 启动时，{engine} 采用模型的 {limit} 个词元上下文，并检查权重之外剩余的缓存能否容纳一个这样长的序列：容纳不下，因此拒绝启动。{tokens} 个词元是能容纳的最长长度（vLLM 的 {flag} auto 自 2025 年 11 月起会自动选取它）。此处的数字按所设的提示和输出计算。</translation>
    </message>
    <message>
        <source>{engine} keeps every layer on the GPU: System RAM is not used.</source>
        <translation>{engine} 把每一层都放在 GPU 上：不使用系统内存。</translation>
    </message>
    <message>
        <source>{engine} reads its weights in RAM every pass: an assumed link share.</source>
        <translation>{engine} 每次前向都读取内存中的权重：链路占比为假定值。</translation>
    </message>
    <message>
        <source>{engine} runs no layer on the CPU: its offload ({how}) keeps the weights that do not fit in pinned RAM, where the card&apos;s kernels read them for every forward pass, so each decode step and each prompt chunk moves them over the card&apos;s link; of an MoE&apos;s routed experts only those its tokens use. The figures with System RAM count those reads at an assumed {share} of the link (not measured for this engine), where llama.cpp would run the layers in RAM on the CPU. A long prompt&apos;s matrix products may read them more than once, which the first token shown does not count.</source>
        <translation>{engine} 不在 CPU 上运行任何层：其卸载（{how}）把放不下的权重留在锁页内存中，由显卡的内核在每次前向时直接读取，因此每个解码步和每个提示词分块都经显卡链路搬运它们；MoE 的路由专家只读取其词元用到的那些。填写系统内存后的数字按假定的链路 {share} 计算这些读取（该引擎未经实测），而 llama.cpp 会在 CPU 上运行内存中的层。长提示词的矩阵乘法可能多次读取这些权重，所示首个词元时间未计入。</translation>
    </message>
    <message>
        <source>{what} does not list this card ({target}).</source>
        <translation>{what} 未列出此卡（{target}）。</translation>
    </message>
    <message>
        <source>{what} runs on no Apple chip&apos;s GPU.</source>
        <translation>{what} 不能在任何 Apple 芯片的 GPU 上运行。</translation>
    </message>
    <message>
        <source>{what} lists NVIDIA compute capability {cc} or newer.</source>
        <translation>{what} 列出的是计算能力 {cc} 或更新的 NVIDIA 显卡。</translation>
    </message>
    <message>
        <source>{what} lists AMD&apos;s {targets}.</source>
        <translation>{what} 列出的 AMD 目标为 {targets}。</translation>
    </message>
    <message>
        <source>This card is {target}: {otherwise}.</source>
        <translation>此卡为 {target}：{otherwise}。</translation>
    </message>
    <message>
        <source>(Hover for more.)</source>
        <translation>（悬停查看详情。）</translation>
    </message>
    <message>
        <source>A node joins {m} of these cards with their own links; a tensor-parallel group of {n} sends its all-reduces over the network between nodes, which the speeds here do not model. One measured run (DeepSeek R1 with SGLang on 2 nodes of 8 H100) took {ms} ms a token, {x} times this model&apos;s figure.</source>
        <translation>一个节点用卡自身的互连连接 {m} 张这种卡；{n} 张卡的张量并行组的 all-reduce 需经节点间网络，此处的速度未对此建模。一次实测（DeepSeek R1，SGLang，2 个节点各 8 张 H100）每个 token 耗时 {ms} ms，是本模型估计值的 {x} 倍。</translation>
    </message>
    <message>
        <source>flash: flash attention (attn_implementation=&quot;flash_attention_2&quot;); sdpa: PyTorch&apos;s SDPA, the same figures for most models (Falcon&apos;s one key/value head takes its math path, fp32 scores); eager stores the s² score matrix per layer</source>
        <translation>flash：flash attention（attn_implementation=&quot;flash_attention_2&quot;）；sdpa：PyTorch 的 SDPA，多数模型数值相同（Falcon 的单个键/值头走其数学路径，保存 fp32 分数）；eager 每层保存 s² 分数矩阵</translation>
    </message>
    <message>
        <source>PyTorch&apos;s allocator: its default caching pool needs about {caching} % of a step&apos;s transient memory on top of what it allocates; expandable segments (PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True) about {expandable} %</source>
        <translation>PyTorch 的分配器：默认的缓存池在已分配的显存之外还需要约一步临时显存的 {caching} %；可扩展段（PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True）约 {expandable} %</translation>
    </message>
    <message>
        <source>System RAM (GB): plan a partial offload — llama.cpp runs the layers that do not fit on the card from RAM; vLLM, SGLang and HF transformers keep the weights that do not fit there and move them to the card for every pass</source>
        <translation>系统内存（GB）：规划部分卸载——llama.cpp 在内存中运行显卡放不下的层；vLLM、SGLang 和 HF transformers 把放不下的权重留在内存中，每次前向都搬到显卡上</translation>
    </message>
    <message>
        <source>System RAM bandwidth for the offloaded layers (default: dual-channel DDR5-4800, 76.8 GB/s; unified memory: the chip&apos;s). Greyed under vLLM, SGLang and HF transformers: no layer runs from RAM, the card&apos;s link bounds them</source>
        <translation>卸载层所用的系统内存带宽（默认：双通道 DDR5-4800，76.8 GB/s；统一内存：芯片自身的）。在 vLLM、SGLang 和 HF transformers 下变灰：没有层在内存中运行，受限于显卡的链路</translation>
    </message>
    <message>
        <source>Set stages to {stages} to keep each group within a node.</source>
        <translation>将流水线阶段数设为 {stages}，可使每组都在一个节点之内。</translation>
    </message>
    <message>
        <source>This model&apos;s attention caches one latent per token (one KV head), which tensor parallel cannot split: every card of the group holds every sequence&apos;s cache, so the group caches what one card holds. Data-parallel attention (vLLM --data-parallel-size {n} --enable-expert-parallel, SGLang --enable-dp-attention) gives each card its own sequences: up to {n} times as many ({x} times in one measured pair of start-ups: DeepSeek-V4-Flash on 8 B200, vLLM). vramgui does not model it.</source>
        <translation>此模型的注意力每个 token 只缓存一个潜向量（一个 KV 头），张量并行无法切分：组内每张卡都保存全部序列的缓存，因此整组只能缓存一张卡所能容纳的量。数据并行注意力（vLLM --data-parallel-size {n} --enable-expert-parallel，SGLang --enable-dp-attention）让每张卡只保存自己的序列：最多可达 {n} 倍（一组实测启动日志中为 {x} 倍：DeepSeek-V4-Flash，8 张 B200，vLLM）。vramgui 未对此建模。</translation>
    </message>
    <message>
        <source> and </source>
        <translation>；</translation>
    </message>
    <message>
        <source>{b} sequences {x} times</source>
        <translation>{b} 个序列为单序列吞吐量的 {x} 倍</translation>
    </message>
    <message>
        <source>llama.cpp&apos;s quantized matrix kernels pay for every sequence in a step, so a step grows with the batch long before the roofline turns compute bound; vramgui models it on NVIDIA cards with an int8 figure only. Measured with llama-bench (Llama 3 8B Q4_0 on an {card}): {runs} one sequence&apos;s throughput.</source>
        <translation>llama.cpp 的量化矩阵内核在每一步中为每个序列付出代价，因此远在屋顶线模型转为计算受限之前，单步时间就随批大小增长；vramgui 仅在有 int8 数据的 NVIDIA 显卡上对此建模。llama-bench 实测（Llama 3 8B Q4_0，{card}）：{runs}。</translation>
    </message>
    <message>
        <source>{engine}: {why}.</source>
        <translation>{engine}：{why}。</translation>
    </message>
    <message>
        <source>Its default context on {gib} GiB of GPU memory, whatever the prompt: the KV cache and the largest batch count it. With num_ctx set (a request&apos;s options, a Modelfile, OLLAMA_CONTEXT_LENGTH) it allocates that instead: pick Ollama (num_ctx set) and set the prompt to it.</source>
        <translation>这是它在 {gib} GiB 显存上的默认上下文，与提示长度无关：KV 缓存和最大批量都按它计算。设置了 num_ctx（请求的 options、Modelfile 或 OLLAMA_CONTEXT_LENGTH）时，它改为分配该长度：请选择 Ollama（已设 num_ctx）并把提示长度设为该值。</translation>
    </message>
    <message>
        <source>{engine} copies its weights in RAM every pass: an assumed link share.</source>
        <translation>{engine} 每次前向都复制内存中的权重：链路占比为假定值。</translation>
    </message>
    <message>
        <source>{engine} runs no layer on the CPU: its offload ({how}) keeps the weights that do not fit in RAM and copies them to the card for every forward pass, so each decode step and each prompt chunk also moves them over the card&apos;s link. The figures with System RAM count those copies at an assumed {share} of the link (not measured for this engine), where llama.cpp would run the layers in RAM on the CPU.</source>
        <translation>{engine} 不在 CPU 上运行任何层：它的卸载（{how}）把放不下的权重留在内存中，每次前向传播都复制到显卡上，因此每个解码步和每个提示分块都要经显卡的链路传输这些权重。填写系统内存后的数字按链路的 {share}（假定值，未对此引擎实测）计算这些复制；llama.cpp 则会在 CPU 上运行内存中的层。</translation>
    </message>
    <message>
        <source>{engine} brings each module kept in RAM to the card for its forward pass: the card keeps {gib} GiB free for the largest, as many more bytes in RAM, and the RAM keeps as much free.</source>
        <translation>{engine} 在每次前向计算时把留在内存中的模块搬到显卡上：显卡为其中最大的一个留出 {gib} GiB，内存中也就多放同样多的字节，内存也留出同样多的空闲。</translation>
    </message>
    <message>
        <source>engine default ({share})</source>
        <translation>引擎默认（{share}）</translation>
    </message>
</context>
<context>
    <name>ScenarioState</name>
    <message>
        <source>at most {n} different scenarios can be pinned</source>
        <translation>最多只能固定 {n} 个不同的场景</translation>
    </message>
</context>
<context>
    <name>Session</name>
    <message>
        <source>the settings file {file} could not be read and was reset</source>
        <translation>设置文件 {file} 无法读取，已重置</translation>
    </message>
    <message>
        <source>the saved session in {file} was corrupt and was reset</source>
        <translation>{file} 中保存的会话已损坏，已重置</translation>
    </message>
    <message>
        <source>the machine described in the last session was not valid and was reset</source>
        <translation>上次会话中描述的机器无效，已重置</translation>
    </message>
    <message>
        <source>the saved window layout was corrupt and was reset</source>
        <translation>保存的窗口布局已损坏，已重置</translation>
    </message>
    <message>
        <source>the model &apos;{id}&apos; of the last session is no longer available</source>
        <translation>上次会话使用的模型“{id}”已不存在</translation>
    </message>
    <message>
        <source>some settings of the last session were not valid and were skipped</source>
        <translation>上次会话的部分设置无效，已跳过</translation>
    </message>
    <message>
        <source>a pinned scenario of the last session could not be restored</source>
        <translation>上次会话中有一个固定的场景无法恢复</translation>
    </message>
    <message>
        <source>the saved system RAM was not a number and was reset</source>
        <translation>保存的系统内存不是数字，已重置</translation>
    </message>
    <message>
        <source>the saved RAM bandwidth was not a number of GB/s and was reset</source>
        <translation>保存的内存带宽不是以 GB/s 计的数值，已重置</translation>
    </message>
    <message>
        <source>the saved place of the MoE experts was not a number of layers and was reset</source>
        <translation>保存的 MoE 专家位置不是层数，已重置</translation>
    </message>
    <message>
        <source>the saved GiB of weights in RAM (--cpu-offload-gb) was not a number and was reset</source>
        <translation>保存的内存中权重 GiB 数（--cpu-offload-gb）不是数字，已重置</translation>
    </message>
    <message>
        <source>the saved choice of the experts alone in RAM was not true or false and was reset</source>
        <translation>保存的“仅专家放在内存”选项不是真或假，已重置</translation>
    </message>
    <message>
        <source>the saved price per card-hour was not a number and was reset</source>
        <translation>保存的每卡每小时价格不是数字，已重置</translation>
    </message>
    <message>
        <source>Something went wrong; vramgui keeps running.</source>
        <translation>出错了，vramgui 仍在继续运行。</translation>
    </message>
    <message>
        <source>The details were written to {file}.</source>
        <translation>详细信息已写入 {file}。</translation>
    </message>
    <message>
        <source>vramgui: unexpected error</source>
        <translation>vramgui：意外错误</translation>
    </message>
    <message>
        <source>Copy details</source>
        <translation>复制详细信息</translation>
    </message>
</context>
<context>
    <name>SpeedChart</name>
    <message>
        <source>Speed vs batch size</source>
        <translation>速度随批大小的变化</translation>
    </message>
    <message>
        <source>throughput (tokens/s)</source>
        <translation>吞吐量 (tokens/s)</translation>
    </message>
    <message>
        <source>decode step (ms)</source>
        <translation>解码单步耗时 (ms)</translation>
    </message>
    <message>
        <source>batch size (concurrent sequences)</source>
        <translation>批大小（并发序列数）</translation>
    </message>
    <message>
        <source>expected</source>
        <translation>预期</translation>
    </message>
    <message>
        <source>speed of light</source>
        <translation>理论上限</translation>
    </message>
    <message>
        <source>tokens/s</source>
        <translation>tokens/s</translation>
    </message>
    <message>
        <source>{rate} tokens/s in all</source>
        <translation>合计 {rate} token/s</translation>
    </message>
    <message>
        <source>{rate} tokens/s per sequence</source>
        <translation>每条序列 {rate} token/s</translation>
    </message>
    <message>
        <source>step {ms} ms (speed of light {sol} ms)</source>
        <translation>每步 {ms} ms（理论上限 {sol} ms）</translation>
    </message>
    <message>
        <source>offloaded at batch {n}: {rate} tokens/s in all, step {ms} ms</source>
        <translation>卸载，批大小 {n}：合计 {rate} token/s，每步 {ms} ms</translation>
    </message>
    <message>
        <source>not one sequence fits in memory</source>
        <translation>显存连一个序列也放不下</translation>
    </message>
    <message>
        <source>more than memory holds ({n} at most)</source>
        <translation>超出显存容量（最多 {n} 个）</translation>
    </message>
    <message>
        <source>{badge} at batch {n}: {ms} ms a step, {rate} tokens/s per sequence (the curves keep every layer on the card)</source>
        <translation>{badge}，批大小 {n}：每步 {ms} ms，每条序列 {rate} token/s（曲线按所有层都在显卡上计算）</translation>
    </message>
    <message>
        <source>batch {n}, {badge}: {rate} tok/s</source>
        <translation>批大小 {n}，{badge}：{rate} token/s</translation>
    </message>
    <message>
        <source>knee {n}</source>
        <translation>拐点 {n}</translation>
    </message>
    <message>
        <source>memory limit {n}</source>
        <translation>显存限制 {n}</translation>
    </message>
    <message>
        <source>time to first token ({n} new tokens × {batch}, {cached} cached): {time}</source>
        <translation>首字延迟（{n} 个新 token × {batch}，{cached} 个已缓存）：{time}</translation>
    </message>
    <message>
        <source>time to first token ({n} tokens × {batch}, {badge}): {time}</source>
        <translation>首字延迟（{n} 个 token × {batch}，{badge}）：{time}</translation>
    </message>
    <message>
        <source>time to first token ({n} new tokens × {batch}, {cached} cached, {badge}): {time}</source>
        <translation>首字延迟（{n} 个新 token × {batch}，{cached} 个已缓存，{badge}）：{time}</translation>
    </message>
    <message>
        <source>time to first token ({badge}): {time}</source>
        <translation>首字延迟（{badge}）：{time}</translation>
    </message>
    <message>
        <source>time to first token: unknown</source>
        <translation>首字延迟：未知</translation>
    </message>
    <message>
        <source>{badge} at batch {n}: {ms} ms a step, {rate} tokens/s in all; with the prompts {served} tokens/s</source>
        <translation>{badge}，批大小 {n}：每步 {ms} ms，合计 {rate} token/s；含提示词处理 {served} token/s</translation>
    </message>
    <message>
        <source>first tokens after {time}</source>
        <translation>首批 token 在 {time} 后生成</translation>
    </message>
    <message>
        <source>the most served of the offload plans</source>
        <translation>卸载方案中服务吞吐最高</translation>
    </message>
    <message>
        <source>knee at batch {n}, past the chart</source>
        <translation>拐点在批大小 {n}，超出图表范围</translation>
    </message>
    <message>
        <source>knee at {n}</source>
        <translation>拐点 {n}</translation>
    </message>
    <message>
        <source>no knee: memory-bound at every batch</source>
        <translation>无拐点：所有批大小均受访存带宽限制</translation>
    </message>
    <message>
        <source>no knee</source>
        <translation>无拐点</translation>
    </message>
    <message>
        <source>batch {n}</source>
        <translation>批大小 {n}</translation>
    </message>
    <message>
        <source>time to first token ({n} tokens × {batch}): {time}</source>
        <translation>首字延迟（{n} 个 token × {batch}）：{time}</translation>
    </message>
    <message>
        <source>time to first token: {time}</source>
        <translation>首字延迟：{time}</translation>
    </message>
    <message>
        <source>time to first token: unknown (no FLOP/s figure for this card)</source>
        <translation>首字延迟：未知（这张卡没有 FLOP/s 数据）</translation>
    </message>
</context>
<context>
    <name>Theme</name>
    <message>
        <source>System</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
</context>
<context>
    <name>TrainingBatchChart</name>
    <message>
        <source>Memory per card vs micro-batch</source>
        <translation>每卡显存随微批大小的变化</translation>
    </message>
    <message>
        <source>memory per card (GiB)</source>
        <translation>每卡显存 (GiB)</translation>
    </message>
    <message>
        <source>micro-batch (sequences per card per step)</source>
        <translation>微批大小（每卡每步的序列数）</translation>
    </message>
    <message>
        <source>{card}: {size} GiB</source>
        <translation>{card}：{size} GiB</translation>
    </message>
    <message>
        <source>micro-batch {n}</source>
        <translation>微批 {n}</translation>
    </message>
    <message>
        <source>largest that fits: {n}</source>
        <translation>放得下的最大值：{n}</translation>
    </message>
</context>
<context>
    <name>Verdict</name>
    <message>
        <source>fits on GPU</source>
        <translation>全部在 GPU 上</translation>
    </message>
    <message>
        <source>partly offloaded</source>
        <translation>部分卸载</translation>
    </message>
    <message>
        <source>CPU only</source>
        <translation>仅 CPU</translation>
    </message>
    <message>
        <source>does not fit</source>
        <translation>放不下</translation>
    </message>
    <message>
        <source>fits on GPU with -ngl all</source>
        <translation>指定 -ngl all 时全部在 GPU 上</translation>
    </message>
    <message>
        <source>fits</source>
        <translation>放得下</translation>
    </message>
    <message>
        <source>needs {n} cards</source>
        <translation>需要 {n} 张卡</translation>
    </message>
    <message>
        <source>no backend</source>
        <translation>无后端</translation>
    </message>
    <message>
        <source>TP {n} refused</source>
        <translation>TP {n} 被拒绝</translation>
    </message>
    <message>
        <source>partly offloaded ({gib} GiB of routed experts a card in RAM, read from there each pass)</source>
        <translation>部分卸载（每卡 {gib} GiB 路由专家在内存中，每次前向就地读取）</translation>
    </message>
    <message>
        <source>partly offloaded ({gib} GiB of weights a card in RAM, read from there each pass)</source>
        <translation>部分卸载（每卡 {gib} GiB 权重在内存中，每次前向就地读取）</translation>
    </message>
    <message>
        <source>partly offloaded ({gib} GiB of weights a card in RAM, copied each pass)</source>
        <translation>部分卸载（每卡 {gib} GiB 权重在内存中，每次前向复制）</translation>
    </message>
    <message>
        <source>partly offloaded (experts of {cpu} of {n} layers on CPU)</source>
        <translation>部分卸载（{n} 层中 {cpu} 层的专家在 CPU 上）</translation>
    </message>
    <message>
        <source>partly offloaded (experts on CPU)</source>
        <translation>部分卸载（专家在 CPU 上）</translation>
    </message>
    <message>
        <source>partly offloaded (all {n} layers on GPU, the output layer on CPU)</source>
        <translation>部分卸载（全部 {n} 层在 GPU 上，输出层在 CPU 上）</translation>
    </message>
    <message>
        <source>does not fit in RAM either</source>
        <translation>内存也放不下</translation>
    </message>
    <message>
        <source>partly offloaded ({gpu} of {n} layers and the output layer on GPU)</source>
        <translation>部分卸载（{n} 层中有 {gpu} 层及输出层在 GPU 上）</translation>
    </message>
    <message>
        <source>partly offloaded ({gpu} of {n} layers on GPU)</source>
        <translation>部分卸载（{n} 层中有 {gpu} 层在 GPU 上）</translation>
    </message>
    <message>
        <source>offloaded: output layer on CPU</source>
        <translation>已卸载：输出层在 CPU 上</translation>
    </message>
    <message>
        <source>offloaded: {gib} GiB read from RAM</source>
        <translation>已卸载：从内存读取 {gib} GiB</translation>
    </message>
    <message>
        <source>offloaded: {gib} GiB copied each pass</source>
        <translation>已卸载：每次前向复制 {gib} GiB</translation>
    </message>
    <message>
        <source>offloaded: {cpu}/{n} layers&apos; experts on CPU</source>
        <translation>已卸载：{cpu}/{n} 层的专家在 CPU 上</translation>
    </message>
    <message>
        <source>offloaded: {gpu}/{n} layers on GPU</source>
        <translation>部分卸载：{gpu}/{n} 层在 GPU 上</translation>
    </message>
    <message>
        <source>{spare} MiB to spare, under the {margin} MiB llama-server and llama-cli keep free when they place the layers themselves (--fit, on by default since Dec 2025): they would move layers to the CPU. Give -ngl all to keep every layer on the card.</source>
        <translation>余量 {spare} MiB，低于 llama-server 和 llama-cli 自行放置各层时保留的 {margin} MiB（--fit，2025 年 12 月起默认开启）：它们会把部分层移到 CPU。指定 -ngl all 可让所有层留在显卡上。</translation>
    </message>
    <message>
        <source>llama.cpp PR #16653</source>
        <translation>llama.cpp PR #16653</translation>
    </message>
    <message>
        <source>offload {gib} GiB</source>
        <translation>卸载 {gib} GiB</translation>
    </message>
    <message>
        <source>offload {gpu}/{n}</source>
        <translation>GPU 上 {gpu}/{n} 层</translation>
    </message>
    <message>
        <source>output on CPU</source>
        <translation>输出层在 CPU 上</translation>
    </message>
    <message>
        <source>experts on CPU</source>
        <translation>专家在 CPU 上</translation>
    </message>
</context>
</TS>
